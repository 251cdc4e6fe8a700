class DriverError(Exception):
    """A problem with what the user asked the driver; the message names the cause and the fix."""
