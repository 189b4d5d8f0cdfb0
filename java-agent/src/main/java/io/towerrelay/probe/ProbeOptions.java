package io.towerrelay.probe;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What to probe and how.
 *
 * @param url         Tower's page URL as users open it (http:// or https://)
 * @param timeout     how long to wait for each step (connect, answer, first events)
 * @param idle        how long to stay idle on the socket; zero skips the idle check
 * @param caFile      PEM file with the CA certificate(s) to trust instead of the system's, or null
 * @param insecure    true to skip certificate and host name verification
 * @param user        Tower user for login and reading settings, or null
 * @param password    that user's password, or null
 * @param eventsWanted how many job events to wait for
 * @param jobId       the job whose events to subscribe to (the mock runs any job id; a real Tower needs a running one)
 */
public record ProbeOptions(
        URI url, Duration timeout, Duration idle, Path caFile, boolean insecure, String user, String password,
        int eventsWanted, String jobId) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_EVENTS = 3;
    public static final String DEFAULT_JOB = "1";

    public ProbeOptions {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(timeout, "timeout");
        idle = idle == null ? Duration.ZERO : idle;
        jobId = jobId == null ? DEFAULT_JOB : jobId;
        if (caFile != null && insecure) {
            throw new IllegalArgumentException("--ca and --insecure exclude each other");
        }
    }

    public static ProbeOptions of(URI url) {
        return new ProbeOptions(url, DEFAULT_TIMEOUT, Duration.ZERO, null, false, null, null, DEFAULT_EVENTS,
                DEFAULT_JOB);
    }

    public ProbeOptions withIdle(Duration newIdle) {
        return new ProbeOptions(url, timeout, newIdle, caFile, insecure, user, password, eventsWanted, jobId);
    }

    public ProbeOptions withCaFile(java.nio.file.Path newCaFile) {
        return new ProbeOptions(url, timeout, idle, newCaFile, insecure, user, password, eventsWanted, jobId);
    }

    public ProbeOptions withCredentials(String newUser, String newPassword) {
        return new ProbeOptions(url, timeout, idle, caFile, insecure, newUser, newPassword, eventsWanted, jobId);
    }

    public boolean hasCredentials() {
        return user != null && password != null;
    }

    /** Fails with a {@code UserError} naming the file when it holds no usable CA certificate. */
    public static void checkCaFile(java.nio.file.Path caFile) {
        TlsTrust.keyStoreOf(caFile);
    }
}
