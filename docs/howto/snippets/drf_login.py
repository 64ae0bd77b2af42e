"""How-to: remember-me for a DRF (or any single-page app) login endpoint."""

# [views]
from django.contrib.auth import authenticate, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

import rememberme


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)
    remember_me = serializers.BooleanField(default=False)


@method_decorator(ensure_csrf_cookie, name="dispatch")
class CsrfView(APIView):
    """GET once before signing in: sets the CSRF cookie the app sends back."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response(status=204)


# DRF exempts its views from CSRF and checks it itself only for signed-in
# users: a login endpoint needs it too (login CSRF).
@method_decorator(csrf_protect, name="dispatch")
class LoginView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None:
            return Response({"detail": "Wrong username or password."}, status=400)
        # Django's login(), then a token when remember_me is true, or the
        # short session REMEMBERME_UNREMEMBERED_SESSION_AGE when it is not.
        rememberme.login(request, user, remember=data["remember_me"])
        return Response({"username": user.get_username()})


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request):
        logout(request)  # also revokes this browser's token and deletes its cookie
        return Response(status=204)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"username": request.user.get_username()})


# [/views]

# [settings]
REST_FRAMEWORK = {
    # Session authentication: restored sessions are ordinary Django sessions.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
}
# [/settings]
