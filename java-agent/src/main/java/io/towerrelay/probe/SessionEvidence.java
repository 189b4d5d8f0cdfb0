package io.towerrelay.probe;

import java.util.List;

/**
 * What happened on the open WebSocket: Tower's accept message, the subscription, the events.
 *
 * @param path            the WebSocket path the session ran on
 * @param accept          Tower's first message ({@code {"accept": true, ...}}), or null when none came
 * @param xrftokenSent    true when a csrftoken cookie existed to send as xrftoken
 * @param subscription    how Tower answered the subscription
 * @param reply           Tower's answer to the subscription, verbatim (or null)
 * @param counters        {@code counter} of each job event received, in arrival order
 * @param statusEvents    number of job status messages received
 * @param otherMessages   number of messages that were neither
 * @param close           set when the socket closed during the session
 * @param waitedMillis    how long the probe waited for events
 */
public record SessionEvidence(
        String path,
        String accept,
        boolean xrftokenSent,
        Subscription subscription,
        String reply,
        List<Long> counters,
        int statusEvents,
        int otherMessages,
        CloseInfo close,
        long waitedMillis) {

    public enum Subscription { JOINED, REFUSED, NO_REPLY, NOT_SENT }

    public SessionEvidence {
        counters = counters == null ? List.of() : List.copyOf(counters);
    }

    public boolean countersIncrease() {
        for (int i = 1; i < counters.size(); i++) {
            if (counters.get(i) <= counters.get(i - 1)) {
                return false;
            }
        }
        return true;
    }
}
