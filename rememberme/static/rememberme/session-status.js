/*
 * django-rememberme: session-status.js
 *
 * Polls the rememberme:status endpoint (which never extends the session)
 * and fires DOM events on `document`:
 *
 *   rememberme:status    every answer; detail = the status JSON
 *   rememberme:expiring  once per expiry time, when it is less than
 *                        `warnBefore` seconds away; detail = {secondsLeft,
 *                        expiresAt, remembered}
 *   rememberme:expired   when a session seen signed in is no longer;
 *                        detail = {remembered} (a remembered browser is
 *                        signed in again by its next ordinary request)
 *
 * Use it with a script tag (no build step, no dependencies):
 *
 *   <script src="{% static 'rememberme/session-status.js' %}"
 *           data-status-url="{% url 'rememberme:status' %}"
 *           data-warn-before="60" data-banner defer></script>
 *
 * Options (data-* attributes, or RememberMeSessionStatus.start({...})):
 *   statusUrl       the status URL (required)
 *   warnBefore      seconds before the end to fire rememberme:expiring (60)
 *   interval        longest wait between two polls, in seconds (60)
 *   hiddenInterval  the wait while the tab is hidden (300); a tab that
 *                   becomes visible again polls at once
 *   banner          show a minimal warning banner (off)
 *   textExpiring, textExpired, textRestorable   the banner's words;
 *                   "{seconds}" is replaced by the seconds left
 */
(function () {
  "use strict";

  var DEFAULTS = {
    statusUrl: null,
    warnBefore: 60,
    interval: 60,
    hiddenInterval: 300,
    banner: false,
    textExpiring: "Your session ends in {seconds} seconds.",
    textExpired: "Your session has ended. Please sign in again.",
    textRestorable: "Your session has ended. Reload the page to continue."
  };

  function fromScript(script) {
    var options = {};
    if (!script || !script.dataset) {
      return options;
    }
    var data = script.dataset;
    if (data.statusUrl) options.statusUrl = data.statusUrl;
    ["warnBefore", "interval", "hiddenInterval"].forEach(function (name) {
      if (data[name] !== undefined && data[name] !== "") options[name] = Number(data[name]);
    });
    if (data.banner !== undefined) options.banner = data.banner !== "false";
    ["textExpiring", "textExpired", "textRestorable"].forEach(function (name) {
      if (data[name]) options[name] = data[name];
    });
    return options;
  }

  function emit(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }

  function SessionStatus(options) {
    this.options = Object.assign({}, DEFAULTS, options || {});
    if (!this.options.statusUrl) {
      throw new Error("session-status.js needs a statusUrl (data-status-url).");
    }
    this.timer = null;
    this.tick = null;
    this.signedIn = false;
    this.remembered = false;
    this.warnedFor = null;
    this.deadline = null;
    this.banner = null;
    this.onVisibility = this.onVisibility.bind(this);
  }

  SessionStatus.prototype.start = function () {
    document.addEventListener("visibilitychange", this.onVisibility);
    this.poll();
    return this;
  };

  SessionStatus.prototype.stop = function () {
    document.removeEventListener("visibilitychange", this.onVisibility);
    clearTimeout(this.timer);
    clearInterval(this.tick);
  };

  SessionStatus.prototype.onVisibility = function () {
    if (document.visibilityState === "visible") {
      this.poll();
    }
  };

  SessionStatus.prototype.schedule = function (seconds) {
    clearTimeout(this.timer);
    var wait = Math.min(seconds, this.options.interval);
    if (document.visibilityState === "hidden") {
      // Nobody is looking: back off. Coming back polls at once.
      wait = Math.max(wait, this.options.hiddenInterval);
    }
    this.timer = setTimeout(this.poll.bind(this), Math.max(wait, 0.5) * 1000);
  };

  SessionStatus.prototype.poll = function () {
    var self = this;
    clearTimeout(this.timer);
    return fetch(this.options.statusUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (status) {
        self.update(status);
      })
      .catch(function () {
        self.schedule(self.options.interval);
      });
  };

  SessionStatus.prototype.update = function (status) {
    var options = this.options;
    emit("rememberme:status", status);
    if (!status.authenticated) {
      if (this.signedIn) {
        this.signedIn = false;
        this.deadline = null;
        emit("rememberme:expired", { remembered: this.remembered });
        this.show(this.remembered ? options.textRestorable : options.textExpired);
      }
      this.schedule(options.interval);
      return;
    }
    this.signedIn = true;
    this.remembered = Boolean(status.remembered);
    var left = status.session_expires_in;
    if (left === null || left === undefined) {
      this.hide();
      this.schedule(options.interval);
      return;
    }
    // Seconds left, counted on this clock: the two clocks may disagree.
    this.deadline = Date.now() + left * 1000;
    if (left > options.warnBefore) {
      this.warnedFor = null;
      this.hide();
      this.schedule(left - options.warnBefore);
      return;
    }
    if (this.warnedFor !== status.session_expires_at) {
      this.warnedFor = status.session_expires_at;
      emit("rememberme:expiring", {
        secondsLeft: left,
        expiresAt: status.session_expires_at,
        remembered: this.remembered
      });
    }
    this.countdown();
    // Look again when it should have ended (or sooner, if it is extended).
    this.schedule(left + 0.5);
  };

  SessionStatus.prototype.countdown = function () {
    var self = this;
    if (!this.options.banner) return;
    clearInterval(this.tick);
    var render = function () {
      if (self.deadline === null) return clearInterval(self.tick);
      var seconds = Math.max(0, Math.round((self.deadline - Date.now()) / 1000));
      self.show(self.options.textExpiring.replace("{seconds}", String(seconds)));
    };
    render();
    this.tick = setInterval(render, 1000);
  };

  SessionStatus.prototype.show = function (text) {
    if (!this.options.banner) return;
    if (!this.banner) {
      var banner = document.createElement("div");
      banner.className = "rememberme-banner";
      banner.setAttribute("role", "status");
      banner.setAttribute("aria-live", "polite");
      banner.style.cssText =
        "position:fixed;left:0;right:0;bottom:0;z-index:2147483647;padding:.75em 1em;" +
        "background:#fff3cd;color:#3d2e00;border-top:1px solid #e0c36c;font:inherit;";
      document.body.appendChild(banner);
      this.banner = banner;
    }
    this.banner.textContent = text;
    this.banner.hidden = false;
  };

  SessionStatus.prototype.hide = function () {
    clearInterval(this.tick);
    if (this.banner) this.banner.hidden = true;
  };

  var api = {
    SessionStatus: SessionStatus,
    instance: null,
    start: function (options) {
      if (api.instance) api.instance.stop();
      api.instance = new SessionStatus(options).start();
      return api.instance;
    }
  };
  window.RememberMeSessionStatus = api;

  var options = fromScript(document.currentScript);
  if (options.statusUrl) {
    var begin = function () {
      api.start(options);
    };
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", begin);
    } else {
      begin();
    }
  }
})();
