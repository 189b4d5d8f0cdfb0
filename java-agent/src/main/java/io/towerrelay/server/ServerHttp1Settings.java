package io.towerrelay.server;

import io.towerrelay.reactor.SessionEndpoint;
import java.util.function.Consumer;
import org.apache.hc.core5.function.Callback;
import org.apache.hc.core5.http.ConnectionReuseStrategy;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.http.nio.HandlerFactory;
import org.apache.hc.core5.http.protocol.HttpProcessor;

/**
 * What every client connection's {@link ServerHttp1Handler} shares.
 *
 * @param exchanges    makes the exchange handler of each request
 * @param processor    runs on each request head and each answer's head (Date, framing, Connection, logging)
 * @param reuse        whether a connection may carry another request after an answer
 * @param maxHeadBytes a request head longer than this is answered 431 and the connection closed
 * @param exceptions   told of errors no exchange hears of
 * @param idleInput    told when input comes on a connection with no exchange in progress: a next head may start
 */
public record ServerHttp1Settings(HandlerFactory<AsyncServerExchangeHandler> exchanges, HttpProcessor processor,
        ConnectionReuseStrategy reuse, int maxHeadBytes, Callback<Exception> exceptions,
        Consumer<SessionEndpoint> idleInput) {
}
