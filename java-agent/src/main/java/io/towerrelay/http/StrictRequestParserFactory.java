package io.towerrelay.http;

import java.io.IOException;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.impl.nio.DefaultHttpRequestParserFactory;
import org.apache.hc.core5.http.nio.NHttpMessageParser;
import org.apache.hc.core5.http.nio.NHttpMessageParserFactory;
import org.apache.hc.core5.http.nio.SessionInputBuffer;

/**
 * HttpCore5's request parser, followed by {@link RequestFraming#check} on each head it completes. Errors found
 * while parsing a head are the ones HttpCore5 answers itself (400/501 with {@code Connection: close}, then
 * closes); HttpCore5's own framing errors come later, when the duplexer computes the body length, and there it
 * only closes the connection, silently.
 */
public final class StrictRequestParserFactory implements NHttpMessageParserFactory<HttpRequest> {
    private final DefaultHttpRequestParserFactory parsers;

    public StrictRequestParserFactory(Http1Config http1Config) {
        this.parsers = new DefaultHttpRequestParserFactory(http1Config);
    }

    @Override
    public NHttpMessageParser<HttpRequest> create() {
        NHttpMessageParser<HttpRequest> parser = parsers.create();
        return new NHttpMessageParser<>() {
            @Override
            public void reset() {
                parser.reset();
            }

            @Override
            public HttpRequest parse(SessionInputBuffer buffer, boolean endOfStream) throws IOException, HttpException {
                HttpRequest request = parser.parse(buffer, endOfStream);
                if (request != null) {
                    RequestFraming.check(request);
                }
                return request;
            }
        };
    }
}
