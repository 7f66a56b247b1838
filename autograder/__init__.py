"""Grading code for the JWT course: checks that hidden test cells call, and the quiz key reader."""
