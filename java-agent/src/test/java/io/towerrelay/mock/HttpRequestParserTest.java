package io.towerrelay.mock;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HttpRequestParserTest {

    private static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.1", 40000);

    private static HttpRequestParser.Result parse(String text) {
        return HttpRequestParser.parse(ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1)), PEER);
    }

    @Test
    void parsesHeadKeepingHeaderOrderCaseAndDuplicates() {
        String head = "GET /a?b=1 HTTP/1.1\r\nHost: t\r\nX-A: 1\r\nx-a: 2\r\nConnection: keep-alive, Upgrade\r\n\r\n";
        var parsed = (HttpRequestParser.Parsed) parse(head + "GET /next");

        HttpRequest request = parsed.request();
        assertThat(request.requestLine()).isEqualTo("GET /a?b=1 HTTP/1.1");
        assertThat(request.path()).isEqualTo("/a");
        assertThat(request.headerValues("X-A")).containsExactly("1", "2");
        assertThat(request.headers().get(2).name()).isEqualTo("x-a");
        assertThat(request.headerHasToken("Connection", "upgrade")).isTrue();
        assertThat(parsed.consumed()).isEqualTo(parsed.headLength()).isEqualTo(head.length());
    }

    @Test
    void waitsForTheWholeBody() {
        assertThat(parse("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabc"))
                .isInstanceOf(HttpRequestParser.Incomplete.class);
        var parsed = (HttpRequestParser.Parsed) parse("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabcdeXX");
        assertThat(new String(parsed.request().body(), StandardCharsets.UTF_8)).isEqualTo("abcde");
    }

    @Test
    void decodesChunkedBodiesWithExtensionsAndTrailers() {
        var parsed = (HttpRequestParser.Parsed) parse("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n");
        assertThat(new String(parsed.request().body(), StandardCharsets.UTF_8)).isEqualTo("abcde");
        assertThat(parse("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab"))
                .isInstanceOf(HttpRequestParser.Incomplete.class);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "GET / HTTP/1.1\\r\\nHost : t\\r\\n\\r\\n|400",
        "GET / HTTP/1.1\\r\\nHost: t\\r\\n folded\\r\\n\\r\\n|400",
        "GET / HTTP/1.1\\r\\n\\r\\n|400",
        "GET  / HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n|400",
        "GET / HTTP/2.0\\r\\nHost: t\\r\\n\\r\\n|505",
        "POST / HTTP/1.1\\r\\nHost: t\\r\\nContent-Length: 1\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n|400",
        "POST / HTTP/1.1\\r\\nHost: t\\r\\nContent-Length: 1\\r\\nContent-Length: 2\\r\\n\\r\\n|400",
        "POST / HTTP/1.1\\r\\nHost: t\\r\\nTransfer-Encoding: gzip\\r\\n\\r\\n|501",
        "POST / HTTP/1.1\\r\\nHost: t\\r\\nContent-Length: 99999999\\r\\n\\r\\n|413",
    })
    void refusesWhatCouldBeSmuggledOrIsMalformed(String request, int status) {
        var result = parse(request.replace("\\r\\n", "\r\n"));
        assertThat(result).isInstanceOfSatisfying(HttpRequestParser.Failed.class, f -> assertThat(f.status()).isEqualTo(status));
    }

    @Test
    void headLargerThanTheLimitIs431() {
        String big = "GET / HTTP/1.1\r\nHost: t\r\nX: " + "a".repeat(HttpRequestParser.MAX_HEAD_BYTES) + "\r\n\r\n";
        assertThat(parse(big)).isInstanceOfSatisfying(HttpRequestParser.Failed.class, f -> assertThat(f.status()).isEqualTo(431));
    }

    @Test
    void http10ClosesUnlessKeptAliveAndHttp11KeepsUnlessClosed() {
        assertThat(((HttpRequestParser.Parsed) parse("GET / HTTP/1.0\r\n\r\n")).request().keepAlive()).isFalse();
        assertThat(((HttpRequestParser.Parsed) parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")).request().keepAlive()).isTrue();
        assertThat(((HttpRequestParser.Parsed) parse("GET / HTTP/1.1\r\nHost: t\r\n\r\n")).request().keepAlive()).isTrue();
        assertThat(((HttpRequestParser.Parsed) parse("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")).request().keepAlive()).isFalse();
    }
}
