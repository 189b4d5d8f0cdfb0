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
 * <p>
 * AWX keeps sessions in its database, so every web node of a cluster accepts a session any node handed out. Mock
 * nodes share no database; instead a session key carries a check derived from the rest of it (and its CSRF token is
 * derived from the key), so every mock-tower accepts the sessions of every other one and still refuses made-up
 * keys. A session first seen on another node starts its job output from the beginning.
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

    /** Key characters that are random; the rest of Django's 32 is the cluster-wide check. */
    private static final int RANDOM_PART = 24;

    Session create() {
        // Django's session keys are 32 lowercase alphanumerics, its CSRF tokens 64 alphanumerics.
        String random = randomString(RANDOM_PART, LOWER_ALPHANUMERIC);
        String id = random + derive("session", random, 32 - RANDOM_PART, LOWER_ALPHANUMERIC);
        Session session = new Session(id, derive("csrf", id, 64, ALPHANUMERIC));
        byId.put(session.id, session);
        return session;
    }

    Optional<Session> find(String id) {
        if (id == null) {
            return Optional.empty();
        }
        Session known = byId.get(id);
        if (known != null) {
            return Optional.of(known);
        }
        if (id.length() != 32 || !id.substring(RANDOM_PART).equals(derive("session", id.substring(0, RANDOM_PART),
                32 - RANDOM_PART, LOWER_ALPHANUMERIC))) {
            return Optional.empty();
        }
        // Handed out by another node of the cluster.
        return Optional.of(byId.computeIfAbsent(id, k -> new Session(k, derive("csrf", k, 64, ALPHANUMERIC))));
    }

    /** {@code length} characters of {@code alphabet} that only {@code purpose} and {@code input} determine. */
    private static String derive(String purpose, String input, int length, String alphabet) {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            byte[] digest = sha.digest(("mock-tower cluster " + purpose + " " + input).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                sb.append(alphabet.charAt((digest[i % digest.length] & 0xff) % alphabet.length()));
                if (i % digest.length == digest.length - 1) {
                    digest = sha.digest(digest);
                }
            }
            return sb.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String randomString(int length, String alphabet) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
