"""Reports of events and announcements by app users, to the offices that publish them."""
