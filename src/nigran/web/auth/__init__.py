"""Authentication for the web: passwords, database-stored sessions, CSRF, API tokens, sign-in lock-out."""
