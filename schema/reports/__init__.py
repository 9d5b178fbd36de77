"""The API of reports of events and announcements (``reports``), built on the events' API."""
