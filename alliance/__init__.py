"""Alliance: the platform that runs a school's alliance éducative."""
