"""The app's records in other formats: the calendar feed (.ics) and the follow-up CSV."""
