package io.towerrelay.upstream;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.WeakHashMap;
import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpResponse;

/**
 * Honours an upstream's {@code Keep-Alive: timeout=N} (RFC 7230 appendix A.1.2, what Apache httpd and gunicorn
 * send): a pooled connection is not used again once the upstream may have closed it. The deadline is kept per
 * connection, keyed by the connection's {@link EndpointDetails} (HttpCore5 keeps one instance per connection and
 * puts it in every exchange's context), weakly, so closed connections drop out by themselves.
 * <p>
 * The deadline counts from when the relay read the answer, later than when the upstream started its timer, so it
 * keeps a margin: half the timeout, at most one second ({@code timeout=5} is reused for 4 s, {@code timeout=1}
 * for 0.5 s).
 */
public final class KeepAliveDeadlines {
    private static final long MAX_MARGIN_NANOS = 1_000_000_000L;

    private final Map<EndpointDetails, Long> deadlines = Collections.synchronizedMap(new WeakHashMap<>());
    /** Upstreams that never send Keep-Alive (AWX behind its NGINX) never touch the map. */
    private volatile boolean anySeen;

    /** Records the deadline {@code response}'s Keep-Alive header sets for the connection it came on. */
    public void answered(EndpointDetails connection, HttpResponse response) {
        if (connection == null) {
            return;
        }
        OptionalLong timeout = timeoutSeconds(response);
        if (timeout.isPresent()) {
            long nanos = timeout.getAsLong() * 1_000_000_000L;
            long reuseFor = nanos - Math.min(MAX_MARGIN_NANOS, nanos / 2);
            anySeen = true;
            deadlines.put(connection, System.nanoTime() + reuseFor);
        } else if (anySeen) {
            deadlines.remove(connection);
        }
    }

    /** True when the upstream said it would have closed {@code connection} by now. */
    public boolean expired(EndpointDetails connection) {
        if (!anySeen || connection == null) {
            return false;
        }
        Long deadline = deadlines.get(connection);
        return deadline != null && System.nanoTime() - deadline >= 0;
    }

    /** The {@code timeout} parameter of the response's Keep-Alive header, in seconds. */
    static OptionalLong timeoutSeconds(HttpResponse response) {
        if (!response.containsHeader("Keep-Alive")) {
            return OptionalLong.empty(); // the usual answer: no array of headers made for it
        }
        for (Header header : response.getHeaders("Keep-Alive")) {
            for (String part : header.getValue().split(",")) {
                String[] pair = part.trim().split("=", 2);
                if (pair.length == 2 && pair[0].trim().toLowerCase(Locale.ROOT).equals("timeout")) {
                    try {
                        long seconds = Long.parseLong(pair[1].trim().replace("\"", ""));
                        if (seconds >= 0) {
                            return OptionalLong.of(seconds);
                        }
                    } catch (NumberFormatException ignored) {
                        // not a number: as if absent
                    }
                }
            }
        }
        return OptionalLong.empty();
    }
}
