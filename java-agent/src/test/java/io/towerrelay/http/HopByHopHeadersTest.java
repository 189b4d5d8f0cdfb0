package io.towerrelay.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.junit.jupiter.api.Test;

class HopByHopHeadersTest {

    @Test
    void everyAlwaysHopByHopNameIsDroppedInAnyCase() {
        for (String name : HopByHopHeaders.ALWAYS) {
            assertThat(HopByHopHeaders.isAlwaysHopByHop(name)).as(name).isTrue();
            assertThat(HopByHopHeaders.isAlwaysHopByHop(name.toUpperCase(Locale.ROOT))).as(name).isTrue();
            assertThat(HopByHopHeaders.isAlwaysHopByHop(capitalized(name))).as(name).isTrue();
        }
    }

    @Test
    void endToEndNamesOfTheSameLengthsAreKept() {
        for (String name : List.of("tx", "Trailed", "Upgrades", "Connected!", "Keep-Alivf", "Proxy-Connectiox",
                "Transfer-Encodinh", "Proxy-Authenticatf", "Proxy-Authorizatiom", "Host", "X-Forwarded-For", "")) {
            assertThat(HopByHopHeaders.isAlwaysHopByHop(name)).as(name).isFalse();
        }
    }

    @Test
    void withoutAConnectionHeaderOnlyTheFixedListIsDropped() {
        BasicHttpRequest from = new BasicHttpRequest("GET", "/");
        from.addHeader("Host", "tower");
        from.addHeader("Transfer-Encoding", "chunked");
        from.addHeader("Upgrade", "websocket");
        from.addHeader("X-Secret", "kept: no Connection header names it");
        BasicHttpRequest to = new BasicHttpRequest("GET", "/");

        HopByHopHeaders.copyEndToEnd(from, to);

        assertThat(HopByHopHeaders.connectionTokens(from)).isEmpty();
        assertThat(List.of(to.getHeaders())).extracting(h -> h.getName() + ": " + h.getValue())
                .containsExactly("Host: tower", "X-Secret: kept: no Connection header names it");
    }

    @Test
    void stripRemovesTheFixedListAndWhatConnectionNamesFromTheMessageItself() {
        BasicHttpResponse answer = new BasicHttpResponse(200, "OK");
        answer.addHeader("Content-Type", "application/json");
        answer.addHeader("Connection", "keep-alive, X-Node-Secret");
        answer.addHeader("Keep-Alive", "timeout=5");
        answer.addHeader("X-Node-Secret", "dropped: Connection names it");
        answer.addHeader("Vary", "Accept");
        answer.addHeader("transfer-encoding", "chunked");
        answer.addHeader("Vary", "Cookie");

        HopByHopHeaders.strip(answer);

        assertThat(List.of(answer.getHeaders())).extracting(h -> h.getName() + ": " + h.getValue())
                .containsExactly("Content-Type: application/json", "Vary: Accept", "Vary: Cookie");
    }

        @Test
    void hasTokenAnswersAsTheTokenSetDoes() {
        List<List<String>> values = List.of(List.of("close"), List.of("Close"), List.of(" keep-alive , Upgrade "),
                List.of("keep-alive", "close"), List.of("closed"), List.of("clos"), List.of(""), List.of(","),
                List.of(",close,"), List.of("x-close, close-x"), List.of("\tclose\t"), List.of("up grade"),
                List.of("KEEP-ALIVE,,upgrade"), List.of("cl\u00f6se"));
        for (List<String> headerValues : values) {
            BasicHttpRequest message = new BasicHttpRequest("GET", "/");
            headerValues.forEach(v -> message.addHeader("Connection", v));
            for (String token : List.of("close", "keep-alive", "upgrade", "up grade", "")) {
                assertThat(HopByHopHeaders.hasConnectionToken(message, token)).as("%s in %s", token, headerValues)
                        .isEqualTo(HopByHopHeaders.connectionTokens(message).contains(token));
            }
        }
        assertThat(HopByHopHeaders.hasConnectionToken(new BasicHttpRequest("GET", "/"), "close")).isFalse();
    }

        private static String capitalized(String name) {
        StringBuilder b = new StringBuilder(name.length());
        boolean up = true;
        for (char c : name.toCharArray()) {
            b.append(up ? Character.toUpperCase(c) : c);
            up = c == '-';
        }
        return b.toString();
    }
}
