package io.towerrelay.probe;

/**
 * What staying idle on the WebSocket showed.
 *
 * @param requestedSeconds how long the probe stayed silent (subscribed to nothing)
 * @param close            set when the socket closed during the idle wait
 * @param messagesDuringIdle messages that arrived anyway (they keep proxies from seeing an idle socket)
 * @param eventAfterIdle   true when, after the wait, a new subscription produced an event again
 */
public record IdleEvidence(long requestedSeconds, CloseInfo close, int messagesDuringIdle, boolean eventAfterIdle) {
    public boolean survived() {
        return close == null;
    }
}
