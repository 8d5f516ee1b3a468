"""The web app's pages, one module per page family: sign-in, search and maps, trace, submit, duplicates, leads."""
