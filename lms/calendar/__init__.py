"""Calendar feeds (secret iCal links), one-off .ics downloads and learners' own timetable pages."""
