package io.towerrelay.common;

/**
 * A mistake the user can fix (bad flag value, busy port, unreadable file): printed as one line,
 * exit code 2, never a stack trace.
 */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
