"""What a view is: its validated state, stories, strings in both languages, selection and bounds."""
