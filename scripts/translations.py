"""
Fill the French and German catalogues from the table below, then compile.

    python3 scripts/dev.py messages   (runs makemessages, then this)

Kept as data so that a new string shows up as missing here, not as a
silently untranslated message.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "rememberme" / "locale"

# msgid -> (French, German). Plural entries map to two-tuples per language.
TRANSLATIONS: dict[str, tuple[object, object]] = {
    "state": ("état", "Status"),
    "Active": ("Actif", "Aktiv"),
    "Expired": ("Expiré", "Abgelaufen"),
    "Revoked": ("Révoqué", "Widerrufen"),
    "browser": ("navigateur", "Browser"),
    "Revoked: %(reason)s": ("Révoqué : %(reason)s", "Widerrufen: %(reason)s"),
    "user": ("utilisateur", "Benutzer"),
    "Revoke selected tokens": (
        "Révoquer les jetons sélectionnés",
        "Ausgewählte Token widerrufen",
    ),
    "Revoke all tokens of these users": (
        "Révoquer tous les jetons de ces utilisateurs",
        "Alle Token dieser Benutzer widerrufen",
    ),
    "Revoked the remember-me token.": (
        "Jeton « Se souvenir de moi » révoqué.",
        "„Angemeldet bleiben“-Token widerrufen.",
    ),
    "%(count)d remember-me token was revoked.": (
        (
            "%(count)d jeton « Se souvenir de moi » a été révoqué.",
            "%(count)d jetons « Se souvenir de moi » ont été révoqués.",
        ),
        (
            "%(count)d „Angemeldet bleiben“-Token wurde widerrufen.",
            "%(count)d „Angemeldet bleiben“-Token wurden widerrufen.",
        ),
    ),
    "remembered browsers": ("navigateurs mémorisés", "gemerkte Browser"),
    "Remember me": ("Se souvenir de moi", "Angemeldet bleiben"),
    "Unknown action.": ("Action inconnue.", "Unbekannte Aktion."),
    "No browser was chosen.": ("Aucun navigateur choisi.", "Kein Browser ausgewählt."),
    "This browser no longer remembers you.": (
        "Ce navigateur ne se souvient plus de vous.",
        "Dieser Browser merkt sich Ihre Anmeldung nicht mehr.",
    ),
    "That browser is signed out.": (
        "Ce navigateur est déconnecté.",
        "Dieser Browser ist abgemeldet.",
    ),
    "That browser was already signed out.": (
        "Ce navigateur était déjà déconnecté.",
        "Dieser Browser war bereits abgemeldet.",
    ),
    "%(count)d other browser is signed out.": (
        (
            "%(count)d autre navigateur est déconnecté.",
            "%(count)d autres navigateurs sont déconnectés.",
        ),
        (
            "%(count)d anderer Browser ist abgemeldet.",
            "%(count)d andere Browser sind abgemeldet.",
        ),
    ),
    "Stay signed in on this browser after it is closed.": (
        "Rester connecté sur ce navigateur après sa fermeture.",
        "In diesem Browser auch nach dem Schließen angemeldet bleiben.",
    ),
    "--keep-revoked must be zero or more days.": (
        "--keep-revoked doit valoir zéro jour ou plus.",
        "--keep-revoked muss null oder mehr Tage betragen.",
    ),
    "--batch-size must be at least 1.": (
        "--batch-size doit valoir au moins 1.",
        "--batch-size muss mindestens 1 sein.",
    ),
    "Deleted %(count)d expired tokens (%(total)d so far).": (
        "%(count)d jetons expirés supprimés (%(total)d jusqu’ici).",
        "%(count)d abgelaufene Token gelöscht (bisher %(total)d).",
    ),
    "Deleted %(count)d revoked tokens (%(total)d so far).": (
        "%(count)d jetons révoqués supprimés (%(total)d jusqu’ici).",
        "%(count)d widerrufene Token gelöscht (bisher %(total)d).",
    ),
    "Purging remember-me tokens failed: %(error)s": (
        "La purge des jetons « Se souvenir de moi » a échoué : %(error)s",
        "Das Löschen der „Angemeldet bleiben“-Token ist fehlgeschlagen: %(error)s",
    ),
    "Would delete %(expired)d expired and %(revoked)d revoked remember-me tokens.": (
        "Supprimerait %(expired)d jetons expirés et %(revoked)d jetons révoqués.",
        "Würde %(expired)d abgelaufene und %(revoked)d widerrufene Token löschen.",
    ),
    "Deleted %(expired)d expired and %(revoked)d revoked remember-me tokens.": (
        "%(expired)d jetons expirés et %(revoked)d jetons révoqués supprimés.",
        "%(expired)d abgelaufene und %(revoked)d widerrufene Token gelöscht.",
    ),
    "Signed out": ("Déconnecté", "Abgemeldet"),
    "Signed out everywhere": ("Déconnecté partout", "Überall abgemeldet"),
    "Revoked by an administrator": (
        "Révoqué par un administrateur",
        "Von einem Administrator widerrufen",
    ),
    "Revoked by the user": ("Révoqué par l’utilisateur", "Vom Benutzer widerrufen"),
    "Password changed": ("Mot de passe modifié", "Passwort geändert"),
    "Theft detected": ("Vol détecté", "Diebstahl erkannt"),
    "User deactivated": ("Utilisateur désactivé", "Benutzer deaktiviert"),
    "selector": ("sélecteur", "Selektor"),
    "verifier hash": ("empreinte du vérificateur", "Prüfwert-Hash"),
    "previous verifier hash": (
        "empreinte du vérificateur précédent",
        "vorheriger Prüfwert-Hash",
    ),
    "password fingerprint": ("empreinte du mot de passe", "Passwort-Fingerabdruck"),
    "authentication backend": ("moteur d’authentification", "Authentifizierungs-Backend"),
    "created": ("créé", "erstellt"),
    "last used": ("dernière utilisation", "zuletzt verwendet"),
    "rotated": ("renouvelé", "erneuert"),
    "expires": ("expire", "läuft ab"),
    "revoked": ("révoqué", "widerrufen"),
    "revocation reason": ("motif de la révocation", "Widerrufsgrund"),
    "user agent": ("agent utilisateur", "User-Agent"),
    "IP address": ("adresse IP", "IP-Adresse"),
    "persistent session data": ("données de session persistantes", "dauerhafte Sitzungsdaten"),
    "remember-me token": ("jeton « Se souvenir de moi »", "„Angemeldet bleiben“-Token"),
    "remember-me tokens": ("jetons « Se souvenir de moi »", "„Angemeldet bleiben“-Token"),
    "Can revoke remember-me tokens": (
        "Peut révoquer les jetons « Se souvenir de moi »",
        "Kann „Angemeldet bleiben“-Token widerrufen",
    ),
    "Remembered browsers": ("Navigateurs mémorisés", "Gemerkte Browser"),
    "These browsers keep you signed in after they are closed. Sign out any you do "
    "not recognise or no longer use.": (
        "Ces navigateurs vous gardent connecté après leur fermeture. Déconnectez ceux "
        "que vous ne reconnaissez pas ou n’utilisez plus.",
        "Diese Browser halten Sie auch nach dem Schließen angemeldet. Melden Sie alle "
        "ab, die Sie nicht kennen oder nicht mehr benutzen.",
    ),
    "Browser": ("Navigateur", "Browser"),
    "Operating system": ("Système d’exploitation", "Betriebssystem"),
    "Signed in": ("Connecté le", "Angemeldet am"),
    "Last used": ("Dernière utilisation", "Zuletzt verwendet"),
    "Expires": ("Expire", "Läuft ab"),
    "Actions": ("Actions", "Aktionen"),
    "this browser": ("ce navigateur", "dieser Browser"),
    "Forget this browser": ("Oublier ce navigateur", "Diesen Browser vergessen"),
    "Sign out": ("Déconnecter", "Abmelden"),
    "No browser remembers you at the moment.": (
        "Aucun navigateur ne se souvient de vous pour le moment.",
        "Zurzeit merkt sich kein Browser Ihre Anmeldung.",
    ),
    "Sign out all other browsers": (
        "Déconnecter tous les autres navigateurs",
        "Alle anderen Browser abmelden",
    ),
    "Sign out everywhere, this browser too": (
        "Se déconnecter partout, ce navigateur compris",
        "Überall abmelden, auch in diesem Browser",
    ),
    "You are signed out, and this browser no longer remembers you.": (
        "Vous êtes déconnecté, et ce navigateur ne se souvient plus de vous.",
        "Sie sind abgemeldet, und dieser Browser merkt sich Ihre Anmeldung nicht mehr.",
    ),
    "Sign in again": ("Se reconnecter", "Erneut anmelden"),
    "Sign in": ("Connexion", "Anmelden"),
    "Unknown": ("Inconnu", "Unbekannt"),
}

HEADERS = {
    "fr": ("French", "nplurals=2; plural=(n > 1);"),
    "de": ("German", "nplurals=2; plural=(n != 1);"),
}

ENTRY = re.compile(
    r'(?P<head>msgid (?P<id>(?:".*"\n)+)(?:msgid_plural (?P<plural>(?:".*"\n)+))?)'
    r'(?P<strs>(?:msgstr(?:\[\d\])? (?:".*"\n)+)+)'
)


def _join(block: str) -> str:
    return "".join(line[1:-1] for line in block.splitlines()).replace('\\"', '"')


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def header(language: str) -> str:
    name, plural = HEADERS[language]
    return (
        f"# {name} translation of django-rememberme.\n"
        "# This file is distributed under the same license as django-rememberme.\n"
        "#\n"
        'msgid ""\n'
        'msgstr ""\n'
        '"Project-Id-Version: django-rememberme\\n"\n'
        '"Report-Msgid-Bugs-To: \\n"\n'
        '"PO-Revision-Date: 2026-11-26 00:00+0000\\n"\n'
        '"Last-Translator: django-rememberme contributors\\n"\n'
        f'"Language-Team: {name}\\n"\n'
        f'"Language: {language}\\n"\n'
        '"MIME-Version: 1.0\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Content-Transfer-Encoding: 8bit\\n"\n'
        f'"Plural-Forms: {plural}\\n"\n'
    )


def fill(path: Path, column: int, language: str) -> list[str]:
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        msgid = _join(match["id"])
        if not msgid:
            return match.group(0)
        if msgid not in TRANSLATIONS:
            missing.append(msgid)
            return match.group(0)
        text = TRANSLATIONS[msgid][column]
        if match["plural"]:
            assert isinstance(text, tuple)
            strs = "".join(f"msgstr[{i}] {_quote(t)}\n" for i, t in enumerate(text))
        else:
            assert isinstance(text, str)
            strs = f"msgstr {_quote(text)}\n"
        return match["head"] + strs

    text = path.read_text()
    # Replace makemessages' template header (everything up to the first
    # real entry) with this project's.
    body = text[text.index("\n\n") + 2 :]
    path.write_text(header(language) + "\n" + ENTRY.sub(replace, body))
    return missing


def main() -> None:
    missing: list[str] = []
    for language, column in (("fr", 0), ("de", 1)):
        catalogue = LOCALE / language / "LC_MESSAGES" / "django.po"
        missing += fill(catalogue, column, language)
        subprocess.run(
            ["msgfmt", "--check", "-o", str(catalogue.with_suffix(".mo")), str(catalogue)],
            check=True,
        )
    if missing:
        print("untranslated:", *sorted(set(missing)), sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
