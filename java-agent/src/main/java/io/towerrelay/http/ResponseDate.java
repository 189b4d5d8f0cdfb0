package io.towerrelay.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpResponseInterceptor;
import org.apache.hc.core5.http.message.BasicHeader;

/**
 * Adds {@code Date} (RFC 9110 section 6.6.1) to an answer that has none, as HttpCore5's {@code ResponseDate} does,
 * from a field made once a second per thread. HttpCore5's formats it once a second too, but behind a lock that
 * every I/O thread takes for every answer, and makes a new header object each time.
 */
public final class ResponseDate {
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    /** The field for the current second on one thread; replaced, never changed, so it can be shared by answers. */
    private static final class Clock {
        private long second = Long.MIN_VALUE;
        private Header field;

        Header now() {
            long nowSecond = System.currentTimeMillis() / 1000;
            if (nowSecond != second) {
                second = nowSecond;
                field = new BasicHeader(HttpHeaders.DATE, format(nowSecond));
            }
            return field;
        }
    }

    private static final ThreadLocal<Clock> CLOCKS = ThreadLocal.withInitial(Clock::new);

    /** Sets {@code Date} on an answer that has none; the upstream's own is kept. */
    public static final HttpResponseInterceptor RESPONSE = (response, entity, context) -> {
        if (!response.containsHeader(HttpHeaders.DATE)) {
            response.setHeader(CLOCKS.get().now());
        }
    };

    private ResponseDate() {
    }

    /** The IMF-fixdate form of the second {@code epochSecond}, e.g. {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
    static String format(long epochSecond) {
        return IMF_FIXDATE.format(Instant.ofEpochSecond(epochSecond));
    }
}
