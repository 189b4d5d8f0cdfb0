package io.towerrelay.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.config.LimitsConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.net.URIAuthority;
import org.junit.jupiter.api.Test;

/** The Host header check: the shortcut for the usual names answers as the full check does. */
class RequestScreenHostTest {

    private final RequestScreen screen = new RequestScreen(LimitsConfig.defaults());

    private boolean accepted(String host) {
        BasicHttpRequest request = new BasicHttpRequest("GET", "/api/v2/ping/");
        request.setHeader("Host", host);
        return screen.check(request).isEmpty();
    }

    @Test
    void usualNamesAreAcceptedAndBrokenOnesRefused() {
        for (String ok : List.of("tower", "tower.example.com", "tower.example.com:443", "127.0.0.1:8080", "awx_web-1:80",
                "[::1]:8443", "[::1]", "TOWER:0", "t:65535")) {
            assertThat(accepted(ok)).as("Host: %s", ok).isTrue();
        }
        for (String bad : List.of("tower:65536", "tower:99999", "tower:8o", "[::1", "[zz]:80", "tow\u00e9r", "a:1:2")) {
            assertThat(accepted(bad)).as("Host: %s", bad).isFalse();
        }
    }

    /** Every value the shortcut accepts is one HttpCore5's full parse accepts too (random names near the edge). */
    @Test
    void shortcutNeverAcceptsWhatTheFullCheckRefuses() {
        Random random = new Random(42);
        String alphabet = "aZ09.-_:@[]% \t/?#\u00e9";
        List<String> values = new ArrayList<>(List.of("", ":", "a:", ":80", "a:123456", "a:65535", "a:65536", "-a", ".a", "_a"));
        for (int i = 0; i < 20_000; i++) {
            StringBuilder b = new StringBuilder();
            int length = 1 + random.nextInt(12);
            for (int j = 0; j < length; j++) {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            values.add(b.toString());
        }
        int shortcut = 0;
        for (String v : values) {
            if (RequestScreen.isPlainHostAndPort(v)) {
                shortcut++;
                assertThat(fullCheck(v)).as("full check of %s", v).isTrue();
            }
        }
        assertThat(shortcut).as("values the shortcut took").isGreaterThan(100);
    }

    private static boolean fullCheck(String value) {
        try {
            URIAuthority.create(value.trim());
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
