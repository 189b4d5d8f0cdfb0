package io.towerrelay.upstream;

import java.util.Locale;
import java.util.Set;

/**
 * When a request whose upstream connection failed may be sent again (RFC 9110 section 9.2.2), decided from the
 * method and from what had crossed the wire. A request is retried at most once, on a new connection, and never
 * once any part of a response reached the client:
 * <ul>
 *   <li>nothing of the request reached the node (the connection was refused, timed out while connecting, or was
 *       found past the upstream's keep-alive timeout before anything was written): any method;</li>
 *   <li>the request may have reached the node: only an idempotent method (GET, HEAD, OPTIONS, PUT, DELETE) whose
 *       body, if any, can be sent again. A streamed body is not kept, so only bodiless requests qualify; a POST
 *       or PATCH is never sent twice;</li>
 *   <li>the node took the request and then did not answer within upstream.response-timeout: never. The node is
 *       slow, not gone, and a second copy would double the load that made it slow.</li>
 * </ul>
 */
public final class RetryPolicy {
    /** The idempotent methods of RFC 9110 section 9.2.2 that Tower's API uses. */
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE");

    /** How many times a request may be sent again. */
    public static final int MAX_RETRIES = 1;

    /**
     * What is known about a failed attempt.
     *
     * @param retriesSoFar   how many times this request was already sent again
     * @param requestSent    some byte of the request may have reached the node (its head was handed to the
     *                       connection); false when the failure came before anything was written
     * @param bodyReplayable the request has no body, or none of its body has been sent yet
     * @param responseStarted some part of a response went to (or was promised to) the client
     * @param timedOutWaiting the node took the request and did not answer in time
     */
    public record Attempt(int retriesSoFar, boolean requestSent, boolean bodyReplayable, boolean responseStarted,
            boolean timedOutWaiting) {
    }

    private RetryPolicy() {
    }

    public static boolean idempotent(String method) {
        return method != null && IDEMPOTENT.contains(method.toUpperCase(Locale.ROOT));
    }

    /** True when the request may be sent once more on a new connection. */
    public static boolean mayRetry(String method, Attempt attempt) {
        if (attempt.responseStarted() || attempt.retriesSoFar() >= MAX_RETRIES) {
            return false;
        }
        if (!attempt.requestSent()) {
            return attempt.bodyReplayable();
        }
        return !attempt.timedOutWaiting() && idempotent(method) && attempt.bodyReplayable();
    }
}
