"""Export: request validation, one service for the HTTP route and the command line, rendering, data downloads."""
