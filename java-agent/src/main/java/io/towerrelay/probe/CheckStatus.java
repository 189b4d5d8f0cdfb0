package io.towerrelay.probe;

import java.util.Locale;

/** Outcome of one check. Only {@link #FAIL} makes the probe exit 1. */
public enum CheckStatus {
    /** The check ran and what it looked at works. */
    PASS,
    /** Works for live events, but something an admin should fix was seen. */
    WARN,
    /** Broken: the cause and fix are in the check. */
    FAIL,
    /** Not run: not requested, not possible here, or an earlier failure made it pointless. */
    SKIP;

    /** Lower-case name used in the JSON document and the human report. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
