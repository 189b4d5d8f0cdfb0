package io.towerrelay.bench.backend;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutionException;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.Message;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.http.impl.bootstrap.AsyncServerBootstrap;
import org.apache.hc.core5.http.impl.bootstrap.HttpAsyncServer;
import org.apache.hc.core5.http.nio.AsyncRequestConsumer;
import org.apache.hc.core5.http.nio.AsyncServerRequestHandler;
import org.apache.hc.core5.http.nio.entity.AsyncEntityProducers;
import org.apache.hc.core5.http.nio.entity.DiscardingEntityConsumer;
import org.apache.hc.core5.http.nio.support.AsyncResponseBuilder;
import org.apache.hc.core5.http.nio.support.BasicRequestConsumer;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.TimeValue;

/**
 * The backend's answers served by HttpCore5's own HTTP/1.1 server, as its bootstrap builds it, with nothing behind
 * it: what the relay's building blocks cost on their own. A proxy on HttpCore5 does this server's work for every
 * request and an upstream exchange on top, so this server's CPU per request is a floor under the relay's.
 *
 * <p>{@code java -cp tower-relay-bench.jar:tower-relay.jar io.towerrelay.bench.backend.HttpCore5Server PORT}: the
 * relay's jar supplies HttpCore5, the same version the relay runs on. One I/O thread per core, as the relay.
 */
public final class HttpCore5Server {

    private static final ContentType JSON = ContentType.create("application/json");

    private HttpCore5Server() {}

    public static void main(String[] args) throws InterruptedException, ExecutionException {
        int port = Integer.parseInt(args[0]);
        HttpAsyncServer server = AsyncServerBootstrap.bootstrap()
                .setIOReactorConfig(IOReactorConfig.custom()
                        .setIoThreadCount(Runtime.getRuntime().availableProcessors())
                        .setTcpNoDelay(true)
                        .build())
                .setCanonicalHostName("127.0.0.1") // the stock router answers 421 to any other Host
                .register("*", new Answers())
                .create();
        server.start();
        server.listen(new InetSocketAddress("127.0.0.1", port), URIScheme.HTTP).get();
        System.out.println("HttpCore5 server on 127.0.0.1:" + port);
        server.awaitShutdown(TimeValue.MAX_VALUE);
    }

    /** Reads the request (a body is discarded) and answers as the backend does for its path. */
    private static final class Answers implements AsyncServerRequestHandler<Message<HttpRequest, Void>> {

        @Override
        public AsyncRequestConsumer<Message<HttpRequest, Void>> prepare(HttpRequest request, EntityDetails entity,
                                                                         HttpContext context) {
            return new BasicRequestConsumer<>(entity != null ? new DiscardingEntityConsumer<>() : null);
        }

        @Override
        public void handle(Message<HttpRequest, Void> message, ResponseTrigger trigger, HttpContext context)
                throws HttpException, IOException {
            Responses.Answer answer = Responses.answerFor(message.getHead().getPath());
            AsyncResponseBuilder response = AsyncResponseBuilder.create(answer.status());
            for (String[] header : Responses.EXTRA_HEADERS) {
                response.setHeader(header[0], header[1]);
            }
            trigger.submitResponse(response.setEntity(AsyncEntityProducers.create(answer.body(), JSON)).build(), context);
        }
    }
}
