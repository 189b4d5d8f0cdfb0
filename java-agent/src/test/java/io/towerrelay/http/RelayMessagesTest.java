package io.towerrelay.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpMessage;
import org.apache.hc.core5.http.message.BasicHeader;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.junit.jupiter.api.Test;

/** The relay's messages answer every lookup by name as HttpCore5's own do, whatever was added, set or removed. */
class RelayMessagesTest {
    private static final List<String> NAMES = List.of("Host", "host", "HOST", "Connection", "connection", "Upgrade",
            "Content-Length", "content-length", "Transfer-Encoding", "X-Forwarded-For", "x-forwarded-for", "TE", "te",
            "Expect", "Keep-Alive", "Vary", "X-A", "X-B", "Hosx", "Xost", "", "\u00e9t\u00c9", "\u00c9T\u00e9");

    @Test
    void lookupsAgreeWithHttpCore5sMessagesThroughRandomChanges() {
        Random random = new Random(20261203);
        for (int round = 0; round < 300; round++) {
            boolean request = random.nextBoolean();
            HttpMessage relay = request ? new RelayRequest("GET", "/") : new RelayResponse(200, "OK");
            HttpMessage stock = request ? new BasicHttpRequest("GET", "/") : new BasicHttpResponse(200, "OK");
            for (int step = 0; step < 12; step++) {
                change(random, relay, stock);
                for (String name : NAMES) {
                    assertThat(relay.containsHeader(name)).as(name).isEqualTo(stock.containsHeader(name));
                    assertThat(text(relay.getFirstHeader(name))).as(name).isEqualTo(text(stock.getFirstHeader(name)));
                    assertThat(text(relay.getLastHeader(name))).as(name).isEqualTo(text(stock.getLastHeader(name)));
                    assertThat(relay.countHeaders(name)).as(name).isEqualTo(stock.countHeaders(name));
                    assertThat(texts(relay.getHeaders(name))).as(name).isEqualTo(texts(stock.getHeaders(name)));
                    assertThat(texts(relay.headerIterator(name))).as(name).isEqualTo(texts(stock.headerIterator(name)));
                }
                assertThat(texts(relay.getHeaders())).isEqualTo(texts(stock.getHeaders()));
            }
        }
    }

    @Test
    void theFilterFoldsCaseExactlyAsEqualsIgnoreCase() {
        List<Character> chars = new ArrayList<>();
        IntStream.range(0, 0x250).forEach(c -> chars.add((char) c));
        for (char c : new char[] {0x130, 0x131, 0x17f, 0x212a, 0x212b, 0x3bc, 0x39c, 0x1e9e}) {
            chars.add(c);
        }
        for (char a : chars) {
            for (char b : chars) {
                String x = "X" + a + "-" + a;
                String y = "X" + b + "-" + b;
                if (x.equalsIgnoreCase(y)) {
                    assertThat(NameBits.of(y)).as("%04x %04x", (int) a, (int) b).isEqualTo(NameBits.of(x));
                }
            }
        }
    }

    private static void change(Random random, HttpMessage relay, HttpMessage stock) {
        String name = NAMES.get(random.nextInt(NAMES.size()));
        String value = "v" + random.nextInt(3);
        switch (random.nextInt(7)) {
            case 0, 1 -> {
                relay.addHeader(name, value);
                stock.addHeader(name, value);
            }
            case 2 -> {
                relay.setHeader(name, value);
                stock.setHeader(name, value);
            }
            case 3 -> {
                relay.removeHeaders(name);
                stock.removeHeaders(name);
            }
            case 4 -> {
                removeFirstByIterator(relay, name);
                removeFirstByIterator(stock, name);
            }
            case 5 -> {
                Header[] some = {new BasicHeader(name, value), new BasicHeader("Vary", "Accept")};
                relay.setHeaders(some);
                stock.setHeaders(some);
            }
            default -> {
                Header any = stock.getFirstHeader(name);
                if (any != null) {
                    relay.removeHeader(relay.getFirstHeader(name));
                    stock.removeHeader(any);
                }
            }
        }
    }

    private static void removeFirstByIterator(HttpMessage message, String name) {
        for (Iterator<Header> it = message.headerIterator(); it.hasNext(); ) {
            if (it.next().getName().equalsIgnoreCase(name)) {
                it.remove();
                return;
            }
        }
    }

    private static String text(Header h) {
        return h == null ? null : h.getName() + ": " + h.getValue();
    }

    private static List<String> texts(Header[] headers) {
        return texts(List.of(headers).iterator());
    }

    private static List<String> texts(Iterator<Header> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(h -> out.add(text(h)));
        return out;
    }
}
