package io.towerrelay.admin;

/**
 * Brings the upstream nodes' state up to date before /healthz answers, without blocking an I/O thread. With
 * several nodes the active health checks keep it current and this returns at once; a single node is not checked
 * in the background (the relay sends Tower nothing of its own), so it is checked here, when asked.
 */
@FunctionalInterface
public interface UpstreamProbe {
    /** Calls {@code then} once, from any thread, when the state is fresh. */
    void refresh(Runnable then);

    UpstreamProbe CURRENT = Runnable::run;
}
