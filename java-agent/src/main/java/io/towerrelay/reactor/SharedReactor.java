package io.towerrelay.reactor;

import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.function.Callback;
import org.apache.hc.core5.function.Decorator;
import org.apache.hc.core5.http.nio.command.ShutdownCommand;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.net.NamedEndpoint;
import org.apache.hc.core5.reactor.ConnectionInitiator;
import org.apache.hc.core5.reactor.DefaultListeningIOReactor;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOEventHandlerFactory;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.IOSessionListener;
import org.apache.hc.core5.reactor.IOWorkerSelector;
import org.apache.hc.core5.reactor.IOWorkerStats;
import org.apache.hc.core5.reactor.ListenerEndpoint;
import org.apache.hc.core5.reactor.ProtocolIOSession;
import org.apache.hc.core5.reactor.ssl.SSLIOSession;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * One HttpCore5 I/O reactor for both sides of the relay. Each I/O thread (worker) owns the client connections it
 * accepted and the upstream connections it opened for them: {@link #connect} called on a worker opens the
 * session on that same worker, so both ends of an exchange or a tunnel run on one thread and forwarding a chunk
 * is a plain write, with no hand-over to another selector and no lock taken by two threads.
 *
 * <p>Built from HttpCore5's parts because its bootstraps start a reactor per server and per requester:
 * {@link DefaultListeningIOReactor}'s full constructor takes our own worker thread factory (called once per
 * worker, in worker order, so thread i runs worker i) and our own {@link IOWorkerSelector} (the worker with the fewest sessions
 * gets an accepted connection; the worker array it is given is kept, since each worker is a
 * {@link ConnectionInitiator}). New sessions get their handler from the {@code attachment}: an
 * {@link OutgoingSession} makes its own, anything else (the listener's attachment) goes to the server's factory.
 *
 * <p>Listener and decorator events are split by side: HttpCore5 names accepted sessions {@code a-NNN} and
 * connected ones {@code c-NNN} ({@code IOSessionImpl}), which holds for the TLS layer too (it keeps its
 * transport's id), and is the only way to tell them apart in a decorator.
 */
public final class SharedReactor {

    /** The attachment of an outgoing connection: makes the session's handler when it connects. */
    public interface OutgoingSession {
        IOEventHandler createHandler(ProtocolIOSession session);

        /**
         * True when the connection stays plain TCP (no TLS) and its handler is HttpCore5's HTTP/1.1 one: its output
         * is then written in the round that asked for it ({@link DeferredOutputSession}).
         */
        default boolean plainHttp1() {
            return false;
        }
    }

    private final DefaultListeningIOReactor reactor;
    private final int workerCount;
    private volatile ConnectionInitiator[] workers;
    /** Each worker's selector, by worker index; null where it could not be read (see {@link #selectorOf}). */
    private volatile Selector[] selectors;

    /**
     * @param config        the reactor's settings; its socket timeout applies to accepted sessions (outgoing ones set
     *                      their own)
     * @param serverHandlers makes the handler of each accepted session (gets the listener's attachment)
     * @param acceptedDecorator decorates accepted sessions, {@code outgoingDecorator} the others (either may be null)
     * @param acceptedListener  hears accepted sessions' lifecycle events, {@code outgoingListener} the others'
     *                          (either may be null); not their reads and writes (see {@link SidedListener})
     */
    public SharedReactor(IOReactorConfig config, IOEventHandlerFactory serverHandlers,
            Decorator<IOSession> acceptedDecorator, Decorator<IOSession> outgoingDecorator,
            SessionLifecycleListener acceptedListener, SessionLifecycleListener outgoingListener,
            Callback<Exception> exceptionCallback) {
        this.workerCount = config.getIoThreadCount();
        IOEventHandlerFactory handlers = (session, attachment) -> {
            OutputRounds rounds = Thread.currentThread() instanceof Worker w ? w.rounds : null;
            if (attachment instanceof OutgoingSession outgoing) {
                if (rounds == null || !outgoing.plainHttp1()) {
                    return outgoing.createHandler(session);
                }
                DeferredOutputSession deferred = new DeferredOutputSession(session, rounds, ownKey(session));
                IOEventHandler handler = rounds.wrap(outgoing.createHandler(deferred), deferred);
                deferred.handler(handler);
                return handler;
            }
            // Plain client connections (the listener's attachment is its scheme). Under TLS the handler must see
            // the TLS session's own write interest, and HTTP/2 is only offered there.
            if (rounds == null || attachment != URIScheme.HTTP) {
                return serverHandlers.createHandler(session, attachment);
            }
            DeferredOutputSession deferred = new DeferredOutputSession(session, rounds, ownKey(session));
            IOEventHandler handler = rounds.wrap(serverHandlers.createHandler(deferred, attachment), deferred);
            deferred.handler(handler);
            return handler;
        };
        // The TLS layer, once a session starts TLS, is wrapped last (outermost: the channel calls it): closed at once
        // when its socket fails (SocketFailureClosingSession), its output sent in the round that asked for it
        // (TlsRoundSession).
        Decorator<IOSession> decorator = session -> {
            Decorator<IOSession> d = isAccepted(session) ? acceptedDecorator : outgoingDecorator;
            IOSession decorated = d == null ? session : d.decorate(session);
            if (!(session instanceof SSLIOSession)) {
                return decorated;
            }
            IOSession tls = new SocketFailureClosingSession(decorated);
            return Thread.currentThread() instanceof Worker w ? new TlsRoundSession(tls, w.rounds) : tls;
        };
        IOSessionListener listener = acceptedListener == null && outgoingListener == null ? null
                : new SidedListener(acceptedListener, outgoingListener);
        AtomicInteger threadIndex = new AtomicInteger();
        ThreadFactory threads = runnable -> {
            Thread t = new Worker(runnable, threadIndex.getAndIncrement());
            t.setDaemon(true);
            return t;
        };
        ThreadFactory listenerThreads = runnable -> {
            Thread t = new Thread(runnable, "relay-listener");
            t.setDaemon(true);
            return t;
        };
        AtomicInteger next = new AtomicInteger();
        IOWorkerSelector selector = stats -> {
            if (workers == null) {
                keep(stats);
            }
            // The worker with the fewest sessions (its clients and their upstream connections), ties in turn: each
            // thread then needs about its share of the upstream pool, even when clients come and go per request.
            int start = (next.getAndIncrement() & Integer.MAX_VALUE) % stats.length;
            int best = start;
            int fewest = Integer.MAX_VALUE;
            for (int i = 0; i < stats.length; i++) {
                int w = (start + i) % stats.length;
                int load = stats[w].totalChannelCount() + stats[w].pendingChannelCount();
                if (load < fewest) {
                    fewest = load;
                    best = w;
                }
            }
            return best;
        };
        this.reactor = new DefaultListeningIOReactor(handlers, config, threads, listenerThreads, decorator,
                exceptionCallback, listener, null, ShutdownCommand.GRACEFUL_NORMAL_CALLBACK, selector);
    }

    private synchronized void keep(IOWorkerStats[] stats) {
        if (workers != null) {
            return;
        }
        ConnectionInitiator[] initiators = new ConnectionInitiator[stats.length];
        Selector[] found = new Selector[stats.length];
        for (int i = 0; i < stats.length; i++) {
            initiators[i] = (ConnectionInitiator) stats[i];
            found[i] = selectorOf(stats[i]);
        }
        selectors = found;
        workers = initiators;
    }

    /**
     * The selector of one of HttpCore5's workers (HttpCore5 has no accessor for it), or null if it cannot be read:
     * sessions then change their interest through HttpCore5 only, as before.
     */
    private static Selector selectorOf(Object worker) {
        return hiddenField(worker, "selector") instanceof Selector selector ? selector : null;
    }

    /**
     * The value of the field {@code name} that {@code owner}'s class or a superclass declares, for the two parts of
     * HttpCore5's reactor it keeps to itself (its workers, their selectors); null if there is none or it cannot be
     * read.
     */
    private static Object hiddenField(Object owner, String name) {
        for (Class<?> c = owner.getClass(); c != null; c = c.getSuperclass()) {
            try {
                java.lang.reflect.Field field = c.getDeclaredField(name);
                field.setAccessible(true);
                return field.get(owner);
            } catch (NoSuchFieldException e) {
                // declared higher up
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }
        return null;
    }

    /** How many workers' selectors were found (all of them, unless HttpCore5 changed the field read for them). */
    int selectorsFound() {
        Selector[] known = selectors;
        return known == null ? 0 : (int) Arrays.stream(known).filter(java.util.Objects::nonNull).count();
    }

    /**
     * The selection key of {@code session}'s socket on the calling worker's selector ({@link DeferredOutputSession}
     * changes its interest there, without waking the selector), or null when it is not known.
     */
    private SelectionKey ownKey(IOSession session) {
        Selector[] known = selectors;
        int index = currentWorker();
        SocketChannel socket = ForwardingSession.socketOf(session);
        if (known == null || index < 0 || index >= known.length || known[index] == null || socket == null) {
            return null;
        }
        return socket.keyFor(known[index]);
    }

    /** True for a session the listener accepted (a client connection), false for one this relay opened. */
    public static boolean isAccepted(IOSession session) {
        return session.getId().startsWith("a");
    }

    /**
     * Runs {@code task} on the calling I/O thread when the event it is handling ends, before the output that event
     * asked for is written ({@link OutputRounds}); at once elsewhere. A proxied answer's head waits for this so
     * that a small body read in the same event leaves with it, in one write.
     */
    public static void afterEvent(Runnable task) {
        if (Thread.currentThread() instanceof Worker w) {
            w.rounds.afterEvent(task);
        } else {
            task.run();
        }
    }

    /**
     * The handler HttpCore5 made for a session, under the thread's round wrapper this reactor puts around the
     * handlers of plain HTTP/1.1 sessions ({@link OutputRounds}); {@code handler} itself otherwise.
     */
    public static IOEventHandler unwrap(IOEventHandler handler) {
        return OutputRounds.unwrap(handler);
    }

    /**
     * The channel under the session an HTTP/1.1 handler was given: HttpCore5's own for a plain session, which the
     * handler sees through a {@link DeferredOutputSession}; {@code session} itself otherwise.
     */
    public static IOSession channelOf(IOSession session) {
        return session instanceof DeferredOutputSession deferred ? deferred.channel0() : session;
    }

    /** The index of the worker running the calling thread, or -1 off the reactor. */
    public static int currentWorker() {
        return Thread.currentThread() instanceof Worker w ? w.index : -1;
    }

    public int workerCount() {
        return workerCount;
    }

    public void start() {
        reactor.start();
        if (workers == null) {
            keepWorkersNow();
        }
    }

    /**
     * Outgoing connections made off the I/O threads (health checks) may come before the first client: the worker
     * array is otherwise handed over only when a connection is accepted. HttpCore5 has no public accessor for it,
     * so it is read from the reactor's field; if that fails, such connections wait for the first client.
     */
    private void keepWorkersNow() {
        if (hiddenField(reactor, "workers") instanceof Object[] found) {
            IOWorkerStats[] stats = new IOWorkerStats[found.length];
            for (int i = 0; i < found.length; i++) {
                if (!(found[i] instanceof IOWorkerStats worker)) {
                    return; // left to the first accepted connection
                }
                stats[i] = worker;
            }
            keep(stats);
        }
    }

    public Future<ListenerEndpoint> listen(SocketAddress address, Object attachment) {
        return reactor.listen(address, attachment, null);
    }

    /**
     * Opens an outgoing connection on the calling worker (its session, handler and callback all run on this
     * thread). Only on a worker thread: everything that opens upstream connections runs in a session's event.
     */
    public Future<IOSession> connect(NamedEndpoint endpoint, SocketAddress address, Timeout timeout,
            OutgoingSession attachment, FutureCallback<IOSession> callback) {
        int index = currentWorker();
        ConnectionInitiator[] known = workers;
        if (index < 0 || known == null) {
            throw new IllegalStateException("connect() must be called on one of the reactor's I/O threads");
        }
        return known[index].connect(endpoint, address, null, timeout, attachment, callback);
    }

    /**
     * Opens an outgoing connection on worker {@code index} from any thread (its callback runs on that worker).
     * For the rare hand-over between workers; the hot path uses {@link #connect}.
     */
    public Future<IOSession> connectOn(int index, NamedEndpoint endpoint, SocketAddress address, Timeout timeout,
            OutgoingSession attachment, FutureCallback<IOSession> callback) {
        ConnectionInitiator[] known = workers;
        if (known == null) {
            throw new IllegalStateException("no worker has run yet");
        }
        return known[index].connect(endpoint, address, null, timeout, attachment, callback);
    }

    public void initiateShutdown() {
        reactor.initiateShutdown();
    }

    public void awaitShutdown(TimeValue wait) throws InterruptedException {
        reactor.awaitShutdown(wait);
    }

    public void close(CloseMode mode) {
        reactor.close(mode);
    }

    /**
     * The calling I/O thread's free read buffers of {@code size} bytes ({@link SessionInput}), or null off the
     * reactor.
     */
    static ReadBuffers readBuffers(int size) {
        return Thread.currentThread() instanceof Worker w ? w.readBuffers(size) : null;
    }

    /** A worker thread that knows its worker's index. */
    private static final class Worker extends Thread {
        final int index;
        final OutputRounds rounds = new OutputRounds();
        /** One free list per read buffer size in use (the client side's and the upstream side's). */
        private ReadBuffers[] readBuffers = new ReadBuffers[0];

        Worker(Runnable runnable, int index) {
            super(runnable, "relay-io-" + index);
            this.index = index;
        }

        ReadBuffers readBuffers(int size) {
            for (ReadBuffers buffers : readBuffers) {
                if (buffers.size() == size) {
                    return buffers;
                }
            }
            ReadBuffers buffers = new ReadBuffers(size, this);
            readBuffers = Arrays.copyOf(readBuffers, readBuffers.length + 1);
            readBuffers[readBuffers.length - 1] = buffers;
            return buffers;
        }
    }

    /**
     * Passes each session's lifecycle events to the listener of its side. HttpCore5 calls a listener on every read
     * and write event as well; those are not passed on: no listener here uses them, and telling the sides apart
     * (by the session's id) on every event was about 1 % of the I/O threads' samples for small keep-alive answers.
     */
    private static final class SidedListener implements SessionLifecycleListener {
        private final SessionLifecycleListener accepted;
        private final SessionLifecycleListener outgoing;

        SidedListener(SessionLifecycleListener accepted, SessionLifecycleListener outgoing) {
            this.accepted = accepted;
            this.outgoing = outgoing;
        }

        private SessionLifecycleListener of(IOSession session) {
            return isAccepted(session) ? accepted : outgoing;
        }

        @Override
        public void connected(IOSession session) {
            SessionLifecycleListener l = of(session);
            if (l != null) {
                l.connected(session);
            }
        }

        @Override
        public void startTls(IOSession session) {
            SessionLifecycleListener l = of(session);
            if (l != null) {
                l.startTls(session);
            }
        }

        @Override
        public void timeout(IOSession session) {
            SessionLifecycleListener l = of(session);
            if (l != null) {
                l.timeout(session);
            }
        }

        @Override
        public void exception(IOSession session, Exception ex) {
            SessionLifecycleListener l = of(session);
            if (l != null) {
                l.exception(session, ex);
            }
        }

        @Override
        public void disconnected(IOSession session) {
            SessionLifecycleListener l = of(session);
            if (l != null) {
                l.disconnected(session);
            }
        }
    }
}
