package io.towerrelay.admin;

import java.util.function.Consumer;

/** Asks whether the upstream accepts connections right now, without blocking an I/O thread. */
public interface UpstreamProbe {
    /** The upstream URL, for the health report. */
    String url();

    /** Calls {@code result} once, from any thread, with null when reachable or the reason it is not. */
    void check(Consumer<String> result);
}
