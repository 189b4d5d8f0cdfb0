package io.towerrelay.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.config.ForwardedConfig;
import java.net.InetSocketAddress;
import java.util.List;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.junit.jupiter.api.Test;

class ForwardedHeadersTest {
    private final ForwardedHeaders forwarded = new ForwardedHeaders(ForwardedConfig.defaults());
    private final InetSocketAddress relay = new InetSocketAddress("127.0.0.1", 8443);

    @Test
    void eachRequestNamesItsOwnClientWhenClientsAlternate() {
        for (String client : List.of("127.0.0.2", "127.0.0.3", "127.0.0.3", "::1", "127.0.0.2", "127.0.0.4")) {
            BasicHttpRequest outgoing = forward(client);

            assertThat(outgoing.getFirstHeader(ForwardedHeaders.FOR).getValue()).as(client)
                    .isEqualTo(client.equals("::1") ? "0:0:0:0:0:0:0:1" : client);
        }
    }

    @Test
    void anUntrustedClientsOwnForwardedHeadersAreReplaced() {
        BasicHttpRequest incoming = new BasicHttpRequest("GET", "/");
        incoming.addHeader("Host", "tower.example.com");
        incoming.addHeader(ForwardedHeaders.FOR, "198.51.100.9");
        incoming.addHeader(ForwardedHeaders.FOR, "198.51.100.8");
        incoming.addHeader(ForwardedHeaders.PROTO, "https");
        BasicHttpRequest outgoing = new BasicHttpRequest("GET", "/");
        for (var h : incoming.getHeaders()) {
            outgoing.addHeader(h);
        }

        forwarded.apply(incoming, outgoing, new InetSocketAddress("127.0.0.5", 40000), relay, "http");

        assertThat(List.of(outgoing.getHeaders(ForwardedHeaders.FOR))).extracting(h -> h.getValue())
                .containsExactly("127.0.0.5");
        assertThat(outgoing.getFirstHeader(ForwardedHeaders.PROTO).getValue()).isEqualTo("http");
        assertThat(outgoing.getFirstHeader(ForwardedHeaders.HOST).getValue()).isEqualTo("tower.example.com");
        assertThat(outgoing.getFirstHeader(ForwardedHeaders.PORT).getValue()).isEqualTo("8443");
    }

    @Test
    void eachRequestNamesThePortItsClientConnectedToWhenListenersAlternate() {
        for (int port : new int[] {8443, 8443, 8080, 8443, 80, 80}) {
            BasicHttpRequest incoming = new BasicHttpRequest("GET", "/");
            incoming.addHeader("Host", "tower");
            BasicHttpRequest outgoing = new BasicHttpRequest("GET", "/");

            forwarded.apply(incoming, outgoing, new InetSocketAddress("127.0.0.2", 40000),
                    new InetSocketAddress("127.0.0.1", port), "http");

            assertThat(outgoing.getFirstHeader(ForwardedHeaders.PORT).getValue()).isEqualTo(Integer.toString(port));
        }
    }

    private BasicHttpRequest forward(String client) {
        BasicHttpRequest incoming = new BasicHttpRequest("GET", "/api/v2/ping/");
        incoming.addHeader("Host", "tower");
        BasicHttpRequest outgoing = new BasicHttpRequest("GET", "/api/v2/ping/");
        forwarded.apply(incoming, outgoing, new InetSocketAddress(client, 40000), relay, "http");
        return outgoing;
    }
}
