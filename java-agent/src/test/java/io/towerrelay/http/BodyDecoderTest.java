package io.towerrelay.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.junit.jupiter.api.Test;

class BodyDecoderTest {

    private static BasicHttpResponse response(int code, String name, String value) {
        BasicHttpResponse response = new BasicHttpResponse(code);
        if (name != null) {
            response.addHeader(name, value);
        }
        return response;
    }

    /** Feeds the wire bytes one at a time: every state must survive a split anywhere. */
    private static String decodeBytewise(BodyDecoder decoder, String wire, boolean closeAtEnd) throws ProtocolException {
        ByteBuffer out = ByteBuffer.allocate(1024);
        ByteBuffer in = ByteBuffer.allocate(1024);
        boolean done = false;
        byte[] bytes = wire.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < bytes.length && !done; i++) {
            in.put(bytes[i]);
            in.flip();
            done = decoder.decode(in, out, closeAtEnd && i == bytes.length - 1);
            in.compact();
        }
        assertThat(done).as("body complete").isTrue();
        out.flip();
        return StandardCharsets.ISO_8859_1.decode(out).toString();
    }

    @Test
    void chunkedWithExtensionsAndTrailers() throws Exception {
        BodyDecoder decoder = BodyDecoder.forResponse(response(404, "Transfer-Encoding", "chunked"));
        assertThat(decoder.length()).isEqualTo(-1);
        assertThat(decodeBytewise(decoder, "4;ext=1\r\nnot \r\n5\r\nfound\r\n0\r\nX-Trailer: t\r\n\r\n", false))
                .isEqualTo("not found");
    }

    @Test
    void contentLength() throws Exception {
        BodyDecoder decoder = BodyDecoder.forResponse(response(403, "Content-Length", "9"));
        assertThat(decoder.length()).isEqualTo(9);
        assertThat(decodeBytewise(decoder, "forbidden", false)).isEqualTo("forbidden");
    }

    @Test
    void untilClose() throws Exception {
        BodyDecoder decoder = BodyDecoder.forResponse(response(426, null, null));
        assertThat(decodeBytewise(decoder, "upgrade required", true)).isEqualTo("upgrade required");
    }

    @Test
    void noBodyFor204And304() throws Exception {
        assertThat(BodyDecoder.forResponse(response(204, "Content-Length", "5")).length()).isZero();
        assertThat(BodyDecoder.forResponse(response(304, null, null)).length()).isZero();
    }

    @Test
    void truncatedBodiesAndBadFramingAreErrors() throws Exception {
        BodyDecoder sized = BodyDecoder.forResponse(response(403, "Content-Length", "9"));
        ByteBuffer in = ByteBuffer.wrap("forb".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> sized.decode(in, ByteBuffer.allocate(64), true)).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> BodyDecoder.forResponse(response(403, "Content-Length", "-1")))
                .isInstanceOf(ProtocolException.class);
        BodyDecoder chunked = BodyDecoder.forResponse(response(404, "Transfer-Encoding", "chunked"));
        ByteBuffer bad = ByteBuffer.wrap("zz\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> chunked.decode(bad, ByteBuffer.allocate(64), false)).isInstanceOf(ProtocolException.class);
    }

    @Test
    void chunkedPayloadIsAnnouncedInPlaceAndTrailersAreKept() throws Exception {
        BodyDecoder decoder = BodyDecoder.forResponse(response(200, "Transfer-Encoding", "chunked"), false);
        ByteBuffer in = ByteBuffer.wrap("3\r\nabc\r\n0\r\nX-Checksum: 12 \r\nX-B:2\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(decoder.chunked()).isTrue();
        int n = decoder.payloadAhead(in, false);
        assertThat(n).isEqualTo(3);
        assertThat(new String(in.array(), in.position(), n, StandardCharsets.ISO_8859_1)).isEqualTo("abc");
        in.position(in.position() + n);
        decoder.took(n);
        assertThat(decoder.payloadAhead(in, false)).isZero();
        assertThat(decoder.complete()).isTrue();
        assertThat(decoder.trailers()).extracting(h -> h.getName() + "=" + h.getValue()).containsExactly("X-Checksum=12", "X-B=2");
    }

    /** What a caller may read straight from the socket: payload only, never a framing byte or the next answer. */
    @Test
    void payloadOnTheWireStopsAtFramingAndAtTheBodysEnd() throws Exception {
        BodyDecoder sized = BodyDecoder.forResponse(response(200, "Content-Length", "10"));
        assertThat(sized.payloadOnWire()).isEqualTo(10);
        sized.took(4);
        assertThat(sized.payloadOnWire()).isEqualTo(6);
        sized.took(6);
        assertThat(sized.payloadOnWire()).isZero();

        BodyDecoder chunked = BodyDecoder.forResponse(response(200, "Transfer-Encoding", "chunked"));
        assertThat(chunked.payloadOnWire()).as("before the first size line").isZero();
        ByteBuffer in = ByteBuffer.wrap("a\r\nabc".getBytes(StandardCharsets.ISO_8859_1));
        int n = chunked.payloadAhead(in, false);
        in.position(in.position() + n);
        chunked.took(n);
        assertThat(chunked.payloadOnWire()).as("inside a chunk's data").isEqualTo(7);
        chunked.took(7);
        assertThat(chunked.payloadOnWire()).as("the CRLF after the chunk").isZero();

        BodyDecoder untilClose = BodyDecoder.forResponse(response(200, null, null));
        assertThat(untilClose.payloadOnWire()).isEqualTo(Long.MAX_VALUE);
        untilClose.payloadAhead(ByteBuffer.allocate(0), true);
        assertThat(untilClose.payloadOnWire()).isZero();
    }

    @Test
    void headAnswersAreEmptyWhateverTheirFramingSays() throws Exception {
        assertThat(BodyDecoder.forResponse(response(200, "Content-Length", "360"), true).length()).isZero();
        assertThat(BodyDecoder.forResponse(response(200, "Transfer-Encoding", "chunked"), true).complete()).isTrue();
    }

    @Test
    void contentLengthValuesMustAgreeAndChunkSizesBeHex() throws Exception {
        BasicHttpResponse same = response(200, "Content-Length", "5");
        same.addHeader("Content-Length", "5");
        assertThat(BodyDecoder.forResponse(same, false).length()).isEqualTo(5);
        BasicHttpResponse differ = response(200, "Content-Length", "5");
        differ.addHeader("Content-Length", "6");
        assertThatThrownBy(() -> BodyDecoder.forResponse(differ, false)).isInstanceOf(ProtocolException.class);
        assertThat(BodyDecoder.forResponse(response(200, "Content-Length", "5, 5"), false).length()).isEqualTo(5);
        assertThat(BodyDecoder.forResponse(response(200, "Content-Length", " 7 "), false).length()).isEqualTo(7);
        assertThatThrownBy(() -> BodyDecoder.forResponse(response(200, "Content-Length", "5, 6"), false))
                .isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> BodyDecoder.forResponse(response(200, "Content-Length", "5,"), false))
                .isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> BodyDecoder.forResponse(response(200, "Content-Length", "+5"), false))
                .isInstanceOf(ProtocolException.class);
        for (String size : new String[] {"+1", "-1", "0x1", "", "1 2", "12345678901234567"}) {
            BodyDecoder chunked = BodyDecoder.forResponse(response(200, "Transfer-Encoding", "chunked"), false);
            ByteBuffer in = ByteBuffer.wrap((size + "\r\nx\r\n").getBytes(StandardCharsets.ISO_8859_1));
            assertThatThrownBy(() -> chunked.payloadAhead(in, false)).as(size).isInstanceOf(ProtocolException.class);
        }
    }
}
