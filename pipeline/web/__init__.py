"""The analysts' web app: server-rendered pages (es/en) over the results API's own queries and rules."""
