"""The web application: the client's approval page now, the team's pages later (one app factory, one base template, one CSS)."""
