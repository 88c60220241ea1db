"""Building, checking and grading the course's notebooks."""
