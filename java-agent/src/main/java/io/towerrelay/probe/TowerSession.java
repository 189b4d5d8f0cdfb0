package io.towerrelay.probe;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Does on an open socket what the Tower UI does: wait for accept, subscribe, read events; then the idle test. */
final class TowerSession {
    private final ProbeSocket socket;
    private final String path;
    private final String xrftoken;
    private final String jobId;
    private final Duration timeout;

    TowerSession(ProbeSocket socket, String path, String xrftoken, String jobId, Duration timeout) {
        this.socket = socket;
        this.path = path;
        this.xrftoken = xrftoken;
        this.jobId = jobId;
        this.timeout = timeout;
    }

    SessionEvidence run(int eventsWanted) throws InterruptedException {
        socket.startPhase();
        String accept = null;
        String first = socket.next(deadline(timeout));
        if (first != null && TowerMessage.parse(first).kind() == TowerMessage.Kind.ACCEPT) {
            accept = first;
        }
        if (accept == null) {
            return new SessionEvidence(path, null, xrftoken != null, SessionEvidence.Subscription.NOT_SENT,
                    first, List.of(), 0, first == null ? 0 : 1, socket.closeInfo(), socket.phaseMillis());
        }
        if (!socket.isOpen()) {
            return new SessionEvidence(path, accept, xrftoken != null, SessionEvidence.Subscription.NOT_SENT, null,
                    List.of(), 0, 0, socket.closeInfo(), socket.phaseMillis());
        }
        socket.send(TowerMessage.subscribe(xrftoken, jobId));
        SessionEvidence.Subscription subscription = SessionEvidence.Subscription.NO_REPLY;
        String reply = null;
        List<Long> counters = new ArrayList<>();
        int statuses = 0;
        int others = 0;
        long deadline = deadline(timeout);
        socket.startPhase();
        while (counters.size() < eventsWanted) {
            String text = socket.next(deadline);
            if (text == null) {
                break;
            }
            TowerMessage m = TowerMessage.parse(text);
            switch (m.kind()) {
                case SUBSCRIBED -> {
                    subscription = SessionEvidence.Subscription.JOINED;
                    reply = text;
                }
                case REFUSED -> {
                    subscription = SessionEvidence.Subscription.REFUSED;
                    reply = text;
                }
                case JOB_EVENT -> counters.add(m.counter());
                case STATUS -> statuses++;
                default -> others++;
            }
            if (subscription == SessionEvidence.Subscription.REFUSED) {
                break;
            }
        }
        return new SessionEvidence(path, accept, xrftoken != null, subscription, reply, counters, statuses, others,
                socket.closeInfo(), socket.phaseMillis());
    }

    /**
     * Subscribes to nothing, stays silent for {@code idle}, then subscribes again and waits for one event:
     * the socket survived only if it is still open and still carries events.
     */
    IdleEvidence idle(Duration idle) throws InterruptedException {
        socket.send(TowerMessage.unsubscribeAll(xrftoken));
        // Drain what was in flight until Tower confirms the empty subscription.
        long confirm = deadline(timeout);
        String text;
        while ((text = socket.next(confirm)) != null) {
            if (TowerMessage.parse(text).kind() == TowerMessage.Kind.SUBSCRIBED) {
                break;
            }
        }
        socket.startPhase();
        int during = 0;
        long idleEnd = deadline(idle);
        while (socket.next(idleEnd) != null) {
            during++;
        }
        if (socket.closeInfo() != null) {
            return new IdleEvidence(idle.toSeconds(), socket.closeInfo(), during, false);
        }
        socket.send(TowerMessage.subscribe(xrftoken, jobId));
        long after = deadline(timeout);
        boolean event = false;
        while (!event && (text = socket.next(after)) != null) {
            TowerMessage.Kind kind = TowerMessage.parse(text).kind();
            event = kind == TowerMessage.Kind.JOB_EVENT || kind == TowerMessage.Kind.STATUS;
        }
        return new IdleEvidence(idle.toSeconds(), socket.closeInfo(), during, event);
    }

    private static long deadline(Duration d) {
        return System.nanoTime() + d.toNanos();
    }
}
