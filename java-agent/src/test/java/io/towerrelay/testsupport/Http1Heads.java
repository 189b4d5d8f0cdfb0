package io.towerrelay.testsupport;

import java.io.IOException;
import java.nio.channels.Channels;
import java.util.ArrayList;
import io.towerrelay.http.HeadBytes;
import io.towerrelay.http.HeadWriter;
import io.towerrelay.http.RequestFraming;
import io.towerrelay.http.RequestHeadParser;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.impl.nio.DefaultHttpResponseParserFactory;
import org.apache.hc.core5.http.impl.nio.NioSessionBuffers;
import org.apache.hc.core5.http.nio.NHttpMessageParser;
import org.apache.hc.core5.http.nio.SessionInputBuffer;

/**
 * The HTTP/1.1 head parsers and writer the relay runs (its listener's request parser, its upstream client's head
 * writer) and HttpCore5's response parser, for fuzz targets that check what a head turns into on the wire and back.
 */
public final class Http1Heads {
    /** The relay's listener limits with default config (RelayServer: line 2 x 32 KiB, 1,024 headers). */
    public static final Http1Config LISTENER = Http1Config.custom().setMaxLineLength(65_536).setMaxHeaderCount(1024).build();

    private Http1Heads() {}

    /** A parsed head and how many bytes followed it (a body, or a second, smuggled message). */
    public record Parsed<T>(T head, int bytesAfter) {}

    /**
     * Parses one request head from {@code bytes} as the relay's listener does (its parser, then its framing check);
     * null when they hold no complete head.
     */
    public static Parsed<HttpRequest> request(byte[] bytes) throws IOException, HttpException {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        RequestHeadParser.skipEmptyLines(in);
        int end = RequestHeadParser.headEnd(in, in.position());
        if (end < 0) {
            return null;
        }
        HttpRequest head = RequestHeadParser.parse(in, end);
        RequestFraming.check(head);
        return new Parsed<>(head, in.remaining());
    }

    /** Parses one response head the way the relay's HTTP/1.1 clients do. */
    public static Parsed<HttpResponse> response(byte[] bytes) throws IOException, HttpException {
        return parse(new DefaultHttpResponseParserFactory(LISTENER).create(), bytes);
    }

    private static <T extends org.apache.hc.core5.http.HttpMessage> Parsed<T> parse(NHttpMessageParser<T> parser, byte[] bytes) throws IOException, HttpException {
        SessionInputBuffer in = NioSessionBuffers.input(Math.max(8192, bytes.length), LISTENER.getMaxLineLength(), HeadBytes.CODING);
        in.fill(Channels.newChannel(new java.io.ByteArrayInputStream(bytes)));
        T head = parser.parse(in, false);
        if (head == null) {
            head = parser.parse(in, true); // what the duplexer does once the peer closed
        }
        return head == null ? null : new Parsed<>(head, in.length());
    }

    /** The request head as the relay's upstream client writes it. */
    public static byte[] write(HttpRequest request) {
        ByteBuffer out = HeadWriter.request(request, ByteBuffer.allocate(256));
        return Arrays.copyOf(out.array(), out.position());
    }

    /** Name and value of every header, in order: two heads are the same when these lists are equal. */
    public static List<String> headerLines(Header[] headers) {
        List<String> lines = new ArrayList<>();
        for (Header h : headers) {
            lines.add(h.getName() + ": " + h.getValue());
        }
        return lines;
    }
}
