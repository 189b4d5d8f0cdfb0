package io.towerrelay.mock;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Browser sessions the mock handed out with its page: the {@code awx_sessionid} cookie names one, and
 * its {@code csrftoken} is what a WebSocket subscription must echo as {@code xrftoken}. A session also
 * keeps how far each job's output has got for it, so a page that reconnects continues where it was.
 */
final class Sessions {

    /** One browser session. Job progress is touched only by the server's I/O thread. */
    static final class Session {
        final String id;
        final String csrfToken;
        /** Per job, the run of the socket that got furthest: where a new socket of this session starts. */
        private final Map<Integer, JobRun> furthest = new HashMap<>();

        Session(String id, String csrfToken) {
            this.id = id;
            this.csrfToken = csrfToken;
        }

        /** A run for a new socket: a copy of the furthest one so far, or a fresh run from counter 1. */
        JobRun resume(int jobId) {
            JobRun run = furthest.get(jobId);
            return run == null ? new JobRun(jobId) : run.copy();
        }

        /** Remembers a socket's run when it is the furthest of this session. */
        void progressed(JobRun run) {
            JobRun known = furthest.get(run.jobId());
            if (known == null || run.lastCounter() > known.lastCounter()) {
                furthest.put(run.jobId(), run);
            }
        }
    }

    private static final String ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String LOWER_ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789";

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> byId = new ConcurrentHashMap<>();

    Session create() {
        // Django's session keys are 32 lowercase alphanumerics, its CSRF tokens 64 alphanumerics.
        Session session = new Session(randomString(32, LOWER_ALPHANUMERIC), randomString(64, ALPHANUMERIC));
        byId.put(session.id, session);
        return session;
    }

    Optional<Session> find(String id) {
        return id == null ? Optional.empty() : Optional.ofNullable(byId.get(id));
    }

    private String randomString(int length, String alphabet) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
