"""What the test suite runs on: settings, URLs, views, session engines, routers, models."""
