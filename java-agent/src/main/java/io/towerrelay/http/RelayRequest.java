package io.towerrelay.http;

import java.util.Collections;
import java.util.Iterator;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.message.BasicHttpRequest;

/**
 * A request head whose absent fields are known without a scan ({@link NameBits}): the relay parses every request
 * into one and builds every upstream-bound copy as one. A lookup by name answers at once for a name the message
 * never held; every change of its fields goes through the methods below, which keep the filter. (They are the same as
 * {@code RelayResponse}'s: HttpCore5's request and answer share no class below {@code HeaderGroup} to extend.)
 */
public final class RelayRequest extends BasicHttpRequest {
    private static final long serialVersionUID = 1L;
    private static final Header[] NONE = {};

    private long names;

    public RelayRequest(String method, String path) {
        super(method, path);
    }

    /** An origin-form target, kept as it is (no URI parsing). */
    public RelayRequest(String method, HttpHost host, String path) {
        super(method, host, path);
    }

    @Override
    public void addHeader(Header header) {
        names |= header == null ? 0 : NameBits.of(header.getName());
        super.addHeader(header);
    }

    @Override
    public void setHeader(Header header) {
        names |= header == null ? 0 : NameBits.of(header.getName());
        super.setHeader(header);
    }

    @Override
    public void setHeaders(Header... headers) {
        super.setHeaders(headers); // clears first, through clear()
        names = NameBits.of(headers);
    }

    @Override
    public void clear() {
        names = 0;
        super.clear();
    }

    @Override
    public boolean containsHeader(String name) {
        return NameBits.mayHave(names, name) && super.containsHeader(name);
    }

    @Override
    public Header getFirstHeader(String name) {
        return NameBits.mayHave(names, name) ? super.getFirstHeader(name) : null;
    }

    @Override
    public Header getLastHeader(String name) {
        return NameBits.mayHave(names, name) ? super.getLastHeader(name) : null;
    }

    @Override
    public Header[] getHeaders(String name) {
        return NameBits.mayHave(names, name) ? super.getHeaders(name) : NONE;
    }

    @Override
    public int countHeaders(String name) {
        return NameBits.mayHave(names, name) ? super.countHeaders(name) : 0;
    }

    @Override
    public Iterator<Header> headerIterator(String name) {
        return NameBits.mayHave(names, name) ? super.headerIterator(name) : Collections.emptyIterator();
    }

    @Override
    public boolean removeHeaders(String name) {
        return NameBits.mayHave(names, name) && super.removeHeaders(name);
    }
}
