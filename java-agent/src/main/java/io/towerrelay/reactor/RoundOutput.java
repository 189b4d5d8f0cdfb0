package io.towerrelay.reactor;

/**
 * A session whose output, asked for during an event of its I/O thread, is written when that event ends
 * ({@link OutputRounds}): {@link DeferredOutputSession} for plain HTTP/1.1 connections, {@link TlsRoundSession}
 * for connections under TLS.
 */
interface RoundOutput {
    /** Listed in the thread's round (set and cleared by {@link OutputRounds} only). */
    boolean queued();

    void queued(boolean queued);

    /** The round has come: write what is due. */
    void runOutput();

    /** Too many sessions in one round: leave this one's output to the selector. */
    void promote();
}
