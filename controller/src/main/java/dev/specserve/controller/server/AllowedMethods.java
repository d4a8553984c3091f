package dev.specserve.controller.server;

import io.vertx.ext.web.Router;

/** The {@code Allow} header of a 405: which methods the router answers on a path. */
final class AllowedMethods {
    private AllowedMethods() {}

    /**
     * The methods some route answers on {@code path}, for a 405's Allow: a {@code :param} segment matches any one
     * segment, a route ending in {@code *} every path below it, and a trailing slash is ignored as when routing.
     */
    static String on(Router router, String path) {
        String want = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        java.util.Set<String> methods = new java.util.TreeSet<>();
        for (var route : router.getRoutes()) {
            String p = route.getPath();
            if (p == null || route.methods() == null || (route.isRegexPath() && !p.contains(":"))) {
                continue;
            }
            if (route.isExactPath() ? segmentsMatch(p.split("/", -1), want.split("/", -1)) : want.startsWith(p)) {
                route.methods().forEach(m -> methods.add(m.name()));
            }
        }
        return String.join(", ", methods);
    }

    private static boolean segmentsMatch(String[] route, String[] path) {
        boolean match = route.length == path.length;
        for (int i = 0; match && i < route.length; i++) {
            match = route[i].equals(path[i]) || (route[i].startsWith(":") && !path[i].isEmpty());
        }
        return match;
    }
}
