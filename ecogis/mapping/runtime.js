/* ecogis map runtime: layers, panels, search, filters, time, labels, popups that stay clear.
 *
 * Inlined once into every ecogis map (ecogis/mapping/base.py). Python ships each layer as a
 * compact object (see _encode_geometries in base.py) and one config for the page; this file
 * turns them into Leaflet layers and controls. Every text in the config that becomes HTML was
 * escaped in Python; attribute values (``a`` columns, raw) only ever reach the page through
 * textContent. Nothing here loads anything from the network.
 *
 * window.ecogis            this runtime (E below)
 * window.ecogisMap         the Leaflet map
 * window.ecogisLayers      layer name -> features drawn now (after filters and time)
 * window.ecogisReady       true once the page is built (tests wait for it)
 */
(function () {
    "use strict";
    var E = (window.ecogis = window.ecogis || {});
    E.layers = {};
    E.order = [];
    E.filters = [];
    E.values = {};
    E.step = null;
    E.panels = [];
    E.notices = {};
    var NARROW = 600;

    // ------------------------------------------------------------------ small helpers

    function el(tag, cls, html) {
        var e = document.createElement(tag);
        if (cls) { e.className = cls; }
        if (html !== undefined && html !== null) { e.innerHTML = html; }
        return e;
    }
    function column(c) {
        return c && !Array.isArray(c) ? c.i.map(function (k) { return c.v[k]; }) : c;
    }
    function narrow() { return window.innerWidth < NARROW; }
    function num(v) { var x = Number(v); return v === null || v === undefined || isNaN(x) ? 0 : x; }
    function norm(s) { return String(s === null || s === undefined ? "" : s).normalize("NFKC").toLowerCase(); }
    E.format = function (v, f) {
        if (v === null || v === undefined || isNaN(v)) { return "\u2014"; }
        var digits = {n0: 0, n1: 1, n2: 2, n4: 4}[f];
        if (f === "int") { return String(Math.round(v)); }
        if (f === "pct") { return v.toFixed(0) + "%"; }
        if (digits === undefined) { digits = 2; }
        return v.toLocaleString("en-US", {minimumFractionDigits: digits, maximumFractionDigits: digits});
    };
    function text(key) { return (E.cfg && E.cfg.texts && E.cfg.texts[key]) || ""; }

    // ------------------------------------------------------------------ layers

    // decode one compact layer into an L.geoJSON inside its feature group (``group``)
    E.addLayer = function (map, group, d, T) {
        var q = d.q, x = 0, y = 0;
        function pos(a, k) { x += a[k]; y += a[k + 1]; return [x / q, y / q]; }
        function line(a, close) {
            var out = new Array(a.length / 2);
            for (var k = 0; k < a.length; k += 2) { out[k / 2] = pos(a, k); }
            if (close && out.length) { out.push(out[0].slice()); }
            return out;
        }
        function ring(a) { return line(a, true); }
        function path(a) { return line(a, false); }
        function point(a) { return pos(a, 0); }
        function polygon(r) { return r.map(ring); }
        function coordinates(t, c) {
            if (t === "0") { return point(c); }
            if (t === "1" || t === "2") { return path(c); }
            if (t === "3") { return polygon(c); }
            if (t === "4") { return c.map(point); }
            if (t === "5") { return c.map(path); }
            return c.map(polygon);
        }
        var rec = {name: d.name, d: d, fg: group, map: map, st: d.st, s: column(d.s), items: []};
        var parent = d.ref ? E.layers[d.ref] : null;
        rec.src = parent ? parent.src : rec;
        if (!parent) {
            rec.p = d.p ? d.p.map(column) : null;
            rec.h = typeof d.h === "number" ? (rec.p ? rec.p[d.h] : null) : column(d.h);
            rec.a = {};
            Object.keys(d.a || {}).forEach(function (k) { rec.a[k] = column(d.a[k]); });
            rec.x = null;
        }
        rec.lb = typeof d.lb === "number" ? d.lb : column(d.lb);
        var rows = column(d.r);
        var feats = new Array(d.c.length);
        for (var i = 0; i < d.c.length; i++) {
            var t = d.t.length === 1 ? d.t : d.t.charAt(i);
            feats[i] = {type: "Feature", properties: {i: i, r: rows ? rows[i] : i},
                        geometry: {type: T[t], coordinates: coordinates(t, d.c[i])}};
        }
        function styleOf(f) { return rec.st[rec.s ? rec.s[f.properties.r] : 0]; }
        var g = L.geoJSON(feats, {
            style: styleOf,
            pointToLayer: function (f, ll) { return L.circleMarker(ll, Object.assign({radius: 5}, styleOf(f))); }
        });
        rec.g = g;
        rec.items = g.getLayers();
        rec.rowOf = rec.items.map(function (l) { return l.feature.properties.r; });
        var src = rec.src;
        if (src.p) {
            g.bindPopup(function (layer) { return E.popupHtml(rec, layer.feature.properties.r); },
                        {maxWidth: Math.min(400, Math.max(200, window.innerWidth - 60)), autoPan: false,
                         className: "ecogis-popup-wrap"});
        }
        if (d.hv) {
            g.bindTooltip(function (layer) {
                var h = rec.src.h;
                return h ? h[layer.feature.properties.r] : "";
            }, {sticky: true, className: "ecogis-hover"});
        }
        if (rec.lb !== null && rec.lb !== undefined) {
            // placed when first shown: a polygon's centre needs the layer on the map
            rec.labels = rec.items.map(function () {
                return L.tooltip({permanent: true, direction: d.ld || "center", interactive: false,
                                  offset: d.ld === "right" ? [8, 0] : [0, 0],
                                  className: "ecogis-label ecogis-lp-" + (d.lp || 2)});
            });
        }
        g.addTo(group);
        E.layers[d.name] = rec;
        E.order.push(rec);
        window.ecogisLayers = window.ecogisLayers || {};
        window.ecogisLayers[d.name] = rec.items.length;
        return rec;
    };

    // every piece below was HTML-escaped in Python; only tags are added here
    E.popupHtml = function (rec, row) {
        var src = rec.src, d = src.d;
        var title = d.title;
        if (typeof d.tt === "number" && src.p) { title += " " + src.p[d.tt][row]; }
        var s = '<div class="ecogis-popup"><div class="ecogis-popup-title">' + title + "</div><table>";
        for (var k = 0; k < d.pl.length; k++) {
            s += "<tr><th>" + d.pl[k] + "</th><td>" + src.p[k][row] + "</td></tr>";
        }
        return s + "</table></div>";
    };

    function labelText(rec, row) {
        var lb = rec.lb;
        if (typeof lb === "number") { return rec.src.p[lb][row]; }
        return lb ? lb[row] : "";
    }

    // ------------------------------------------------------------------ filters and time

    E.value = function (key) {
        var v = E.values[key];
        if (v === "$auto") { return E.autoValue(key); }
        return v === undefined ? null : v;
    };
    E.autoValue = function (key) {
        if (key === "year") {
            if (E.cfg.time && E.step !== null) { return E.cfg.time.steps[E.step].y; }
            return E.cfg.year === undefined ? null : E.cfg.year;
        }
        return null;
    };
    E.visible = function (src, row) {
        if (src.x && !src.x[row]) { return false; }
        for (var i = 0; i < E.filters.length; i++) {
            var f = E.filters[i];
            var col = f.cols[src.name];
            if (!col || !src.a[col]) { continue; }
            var v = E.value(f.key);
            if (v === null || v === "") { continue; }
            if (String(src.a[col][row]) !== String(v)) { return false; }
        }
        return true;
    };
    function allowed(values) {
        if (!Array.isArray(values)) { values = [values]; }
        return values.map(function (v) {
            return v && typeof v === "object" && v.$ ? String(E.value(v.$)) : String(v);
        });
    }
    function matches(src, row, where) {
        if (!where) { return true; }
        for (var col in where) {
            if (!src.a[col]) { return false; }
            if (allowed(where[col]).indexOf(String(src.a[col][row])) < 0) { return false; }
        }
        return true;
    }
    // rows of a layer that pass the filters, the time step and ``where``
    E.rows = function (name, where) {
        var rec = E.layers[name];
        if (!rec) { return []; }
        var src = rec.src, out = [], n = src.d.n;
        for (var r = 0; r < n; r++) {
            if (E.visible(src, r) && matches(src, r, where)) { out.push(r); }
        }
        return out;
    };
    E.agg = function (spec) {
        if (spec.op === "target") { return resolveDen({target: spec.key}); }
        var rec = E.layers[spec.layer];
        if (!rec) { return 0; }
        var rows = E.rows(spec.layer, spec.where), src = rec.src;
        if (spec.op === "count") { return rows.length; }
        if (spec.op === "distinct") {
            var seen = {}, k = 0, dc = src.a[spec.col] || [];
            rows.forEach(function (r) { var v = String(dc[r]); if (!seen[v]) { seen[v] = 1; k++; } });
            return k;
        }
        var col = src.a[spec.col] || [], total = 0;
        rows.forEach(function (r) { total += num(col[r]); });
        return total * (spec.scale || 1);
    };

    E.applyStep = function (i) {
        var t = E.cfg.time;
        if (!t) { return; }
        E.step = i;
        var patch = t.steps[i].p || {};
        Object.keys(patch).forEach(function (name) {
            var rec = E.layers[name], p = patch[name];
            if (!rec) { return; }
            if (p.s) { rec.s = column(p.s); rec.restyle = true; }
            if (p.x) { rec.x = column(p.x); }
            if (p.a) { Object.keys(p.a).forEach(function (k) { rec.a[k] = column(p.a[k]); }); }
            if (p.p) { Object.keys(p.p).forEach(function (k) { rec.p[Number(k)] = column(p.p[k]); }); }
            if (p.h) { rec.h = column(p.h); }
            if (typeof rec.d.h === "number" && rec.p) { rec.h = rec.p[rec.d.h]; }
        });
        if (E.timeUI) { E.timeUI(i); }
    };

    E.dynamic = function (rec) {
        var src = rec.src;
        if (src.x) { return true; }
        for (var i = 0; i < E.filters.length; i++) {
            if (E.filters[i].cols[src.name]) { return true; }
        }
        return !!rec.restyle || !!rec.labels;
    };

    // redraw after a filter or the time changed: features, labels, panels, lists, charts
    E.refresh = function () {
        E.order.forEach(function (rec) {
            if (!E.dynamic(rec)) { return; }
            var src = rec.src, n = 0, restyle = rec.restyle;
            rec.items.forEach(function (l, k) {
                var row = rec.rowOf[k], vis = E.visible(src, row);
                if (vis) {
                    if (!rec.g.hasLayer(l)) { rec.g.addLayer(l); }
                    if (restyle) { l.setStyle(rec.st[rec.s ? rec.s[row] : 0]); }
                    n++;
                } else if (rec.g.hasLayer(l)) {
                    rec.g.removeLayer(l);
                }
            });
            window.ecogisLayers[rec.name] = n;
        });
        E.keepOnTop();
        E.updateLabels();
        E.updatePanels();
        if (E.popup && E.popup.isOpen()) {
            E.popup.update();
            E.fitPopup(E.popup);
        }
    };

    // ------------------------------------------------------------------ labels

    E.updateLabels = function () {
        var map = E.map;
        E.order.forEach(function (rec) {
            if (!rec.labels) { return; }
            var on = map.hasLayer(rec.fg);
            rec.items.forEach(function (l, k) {
                var tip = rec.labels[k], show = on && rec.g.hasLayer(l);
                if (show && !map.hasLayer(tip)) {
                    if (!tip.getLatLng()) { tip.setLatLng(l.getLatLng ? l.getLatLng() : l.getCenter()); }
                    tip.setContent(labelText(rec, rec.rowOf[k]));
                    tip.addTo(map);
                } else if (!show && map.hasLayer(tip)) {
                    map.removeLayer(tip);
                }
            });
        });
        E.placeLabels();
    };
    // labels where they fit: greedy by priority, a label that would overlap a placed one waits
    // for a closer zoom
    E.placeLabels = function () {
        var pane = E.map.getPane("tooltipPane");
        var box = E.map.getContainer().getBoundingClientRect();
        var tips = Array.prototype.slice.call(pane.querySelectorAll(".ecogis-label"));
        tips.sort(function (a, b) { return prio(a) - prio(b); });
        var placed = [];
        tips.forEach(function (t) {
            t.style.visibility = "";
            var r = t.getBoundingClientRect();
            var fits = r.width > 0 && r.left >= box.left && r.right <= box.right &&
                r.top >= box.top && r.bottom <= box.bottom;
            for (var i = 0; fits && i < placed.length; i++) {
                var p = placed[i];
                if (r.left < p.right + 2 && r.right > p.left - 2 && r.top < p.bottom + 1 && r.bottom > p.top - 1) {
                    fits = false;
                }
            }
            if (fits) { placed.push(r); } else { t.style.visibility = "hidden"; }
        });
    };
    function prio(t) { var m = /ecogis-lp-(\d+)/.exec(t.className); return m ? Number(m[1]) : 9; }

    // ------------------------------------------------------------------ where panels are

    // rectangles of the title and every control, relative to the map container
    E.obstacles = function () {
        var map = E.map, box = map.getContainer().getBoundingClientRect();
        var found = document.querySelectorAll(".ecogis-title, .ecogis-notices, .leaflet-control-container .leaflet-control");
        var out = [];
        Array.prototype.forEach.call(found, function (e) {
            var r = e.getBoundingClientRect();
            if (r.width < 1 || r.height < 1) { return; }
            out.push({left: r.left - box.left, top: r.top - box.top, right: r.right - box.left,
                      bottom: r.bottom - box.top, el: e});
        });
        return out;
    };
    // free rectangles between the obstacles (candidate edges are the obstacles' edges)
    E.freeRects = function (minW, minH) {
        var box = E.map.getContainer().getBoundingClientRect(), W = box.width, H = box.height, m = 6;
        var obs = E.obstacles();
        var xs = [m], xe = [W - m], ys = [m], ye = [H - m];
        obs.forEach(function (o) {
            xs.push(o.right + m); xe.push(o.left - m); ys.push(o.bottom + m); ye.push(o.top - m);
        });
        var out = [];
        xs.forEach(function (l) {
            xe.forEach(function (r) {
                if (r - l < minW) { return; }
                ys.forEach(function (t) {
                    ye.forEach(function (b) {
                        if (b - t < minH) { return; }
                        for (var i = 0; i < obs.length; i++) {
                            var o = obs[i];
                            if (o.left < r && o.right > l && o.top < b && o.bottom > t) { return; }
                        }
                        out.push({left: l, top: t, right: r, bottom: b});
                    });
                });
            });
        });
        return out;
    };
    // fit ``bounds`` into the free rectangle where it can be drawn largest
    E.fitIn = function (bounds, maxZoom) {
        var map = E.map, size = map.getSize(), best = null;
        E.freeRects(80, 80).forEach(function (f) {
            var pad = L.point(size.x - (f.right - f.left), size.y - (f.bottom - f.top));
            var z = map.getBoundsZoom(bounds, false, pad);
            var area = (f.right - f.left) * (f.bottom - f.top);
            if (!best || z > best.z + 1e-9 || (Math.abs(z - best.z) < 1e-9 && area > best.area)) {
                best = {z: z, f: f, area: area};
            }
        });
        var opts = {animate: false, maxZoom: maxZoom || 18};
        if (best) {
            opts.paddingTopLeft = [best.f.left, best.f.top];
            opts.paddingBottomRight = [size.x - best.f.right, size.y - best.f.bottom];
        }
        map.fitBounds(bounds, opts);
    };
    // move an open popup into a free rectangle: never under a panel, the title or the edge
    E.fitPopup = function (popup) {
        var map = E.map, pe = popup.getElement();
        if (!pe) { return; }
        var box = map.getContainer().getBoundingClientRect();
        function rect() {
            var r = pe.getBoundingClientRect();
            return {left: r.left - box.left, top: r.top - box.top, right: r.right - box.left,
                    bottom: r.bottom - box.top, w: r.width, h: r.height};
        }
        var p = rect();
        var free = E.freeRects(p.w, p.h);
        if (!free.length) {
            // no room: fold the panels that are open, then shrink the popup to the largest room
            E.panels.forEach(function (panel) { panel.setCollapsed(true); });
            free = E.freeRects(p.w, p.h);
            if (!free.length) {
                var all = E.freeRects(Math.min(p.w, 150), 120), big = null;
                all.forEach(function (f) {
                    var a = (f.right - f.left) * (f.bottom - f.top);
                    if (!big || a > big.a) { big = {f: f, a: a}; }
                });
                if (big) {
                    var content = pe.querySelector(".leaflet-popup-content");
                    var extra = p.h - content.getBoundingClientRect().height;
                    content.style.maxHeight = Math.max(60, big.f.bottom - big.f.top - extra - 4) + "px";
                    content.style.overflowY = "auto";
                    p = rect();
                    free = E.freeRects(p.w, p.h);
                    if (!free.length) { free = [big.f]; }
                }
            }
        }
        var bestShift = null;
        free.forEach(function (f) {
            var dx = 0, dy = 0;
            if (p.left < f.left) { dx = f.left - p.left; } else if (p.right > f.right) { dx = f.right - p.right; }
            if (p.top < f.top) { dy = f.top - p.top; } else if (p.bottom > f.bottom) { dy = f.bottom - p.bottom; }
            var cost = Math.abs(dx) + Math.abs(dy);
            if (!bestShift || cost < bestShift.cost) { bestShift = {dx: dx, dy: dy, cost: cost}; }
        });
        if (bestShift && bestShift.cost > 0) {
            map.panBy([-bestShift.dx, -bestShift.dy], {animate: false});
        }
    };

    // ------------------------------------------------------------------ panels

    // a box with a header that folds it; folded from the start on a phone (``start`` "narrow")
    E.panel = function (map, opts) {
        var ctl = L.control({position: opts.position});
        var panel = {opts: opts};
        ctl.onAdd = function () {
            var div = el("div", "ecogis-box " + (opts.cls || ""));
            var head = el("button", "ecogis-head");
            head.type = "button";
            head.innerHTML = '<span class="ecogis-box-title">' + (opts.title || "") + '</span><span class="ecogis-caret"></span>';
            var body = el("div", "ecogis-body", opts.body || "");
            div.appendChild(head);
            div.appendChild(body);
            panel.div = div; panel.head = head; panel.body = body;
            L.DomEvent.on(head, "click", function () {
            var open = panel.collapsed;
            panel.setCollapsed(!open);
            if (open && narrow()) {
                // a phone shows one panel of a corner at a time
                E.panels.forEach(function (other) {
                    if (other !== panel && other.opts.position === opts.position) { other.setCollapsed(true); }
                });
            }
            E.avoidOverlap(panel);
        });
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        panel.setCollapsed = function (c) {
            if (opts.fixed) { return; }
            panel.collapsed = c;
            panel.div.classList.toggle("ecogis-collapsed", c);
            panel.head.setAttribute("aria-expanded", c ? "false" : "true");
        };
        panel.setTitle = function (html) { panel.head.firstChild.innerHTML = html; };
        ctl.addTo(map);
        panel.control = ctl;
        var start = opts.collapsed;
        panel.setCollapsed(start === true || (start === "narrow" && narrow()));
        E.panels.push(panel);
        return panel;
    };

    // ------------------------------------------------------------------ summary, lists, charts

    function resolveDen(d) {
        if (d === undefined || d === null) { return null; }
        if (typeof d === "number") { return d; }
        if (d.target) {
            var y = E.value("year"), t = (E.cfg.targets || {})[String(y)] || {};
            return t[d.target] === undefined || t[d.target] === null ? null : Number(t[d.target]);
        }
        return E.agg(d);
    }
    function condition(c) {
        if (c.target) { var v = resolveDen({target: c.target}); return v !== null && v > 0; }
        if (c.zero) { return E.agg(c.zero) === 0; }
        if (c.nonzero) { return E.agg(c.nonzero) !== 0; }
        return true;
    }
    function fill(html) {
        return String(html).replace(/\{year\}/g, String(E.value("year")));
    }
    E.renderParts = function (parts) {
        return parts.map(function (part) {
            if (typeof part === "string") { return fill(part); }
            if (part["if"]) { return E.renderParts(condition(part["if"]) ? part.then || [] : part["else"] || []); }
            var v = E.agg(part.v);
            if (part.d !== undefined) {
                var den = resolveDen(part.d);
                if (!den) { return part.alt || "\u2014"; }
                v = 100 * v / den;
            }
            return '<span class="ecogis-num" data-key="' + (part.k || "") + '" data-value="' + v + '">' +
                E.format(v, part.f || (part.d !== undefined ? "pct" : "n2")) + "</span>";
        }).join("");
    };
    function chartSvg(spec, bars) {
        var ns = "http://www.w3.org/2000/svg";
        var target = spec.target, top = 0;
        bars.forEach(function (b) { if (b[1] !== null && b[1] > top) { top = b[1]; } });
        if (target && target > top) { top = target; }
        top = spec.max || top || 1;
        var longest = 1;
        bars.forEach(function (b) { longest = Math.max(longest, b[2] || 3); });
        var labelW = Math.min(Math.max(longest, 3), 9) * 12 + 10, barW = 150, valueW = 58, rowH = 20;
        var width = labelW + barW + valueW, height = rowH * bars.length + 6;
        var s = '<svg class="ecogis-chart" xmlns="' + ns + '" width="' + width + '" height="' + height + '" role="img">';
        bars.forEach(function (b, i) {
            var yy = 3 + i * rowH, v = b[1];
            s += '<text x="' + (labelW - 6) + '" y="' + (yy + 14) + '" text-anchor="end">' + b[0] + "</text>";
            s += '<rect x="' + labelW + '" y="' + (yy + 3) + '" width="' + barW + '" height="' + (rowH - 6) + '" fill="#eeeeee"></rect>';
            if (v !== null) {
                var w = Math.max(0, Math.min(v / top, 1)) * barW;
                var color = spec.color || (target ? E.rampColor(v / target) : "#0072b2");
                s += '<rect x="' + labelW + '" y="' + (yy + 3) + '" width="' + w.toFixed(1) + '" height="' + (rowH - 6) +
                    '" fill="' + color + '" stroke="#555" stroke-width="0.5"></rect>';
            }
            var t = v === null ? "\u2014" : (Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(1)) + (spec.unit || "");
            s += '<text x="' + (labelW + barW + 4) + '" y="' + (yy + 14) + '" data-value="' + (v === null ? "" : v) + '">' + t + "</text>";
        });
        if (target && target <= top) {
            var lx = labelW + target / top * barW;
            s += '<line x1="' + lx.toFixed(1) + '" y1="0" x2="' + lx.toFixed(1) + '" y2="' + height + '" stroke="#222" stroke-dasharray="3 2"></line>';
        }
        return s + "</svg>";
    }
    // the completion class colour of a share (PLOT_CLASSES in styles.py: [limit, colour])
    E.rampColor = function (share) {
        var classes = E.cfg.ramp || [[0, "#999999"]];
        if (share === null || isNaN(share)) { return "#9e9e9e"; }
        if (share <= 0) { return classes[0][1]; }
        for (var i = 1; i < classes.length; i++) {
            if (classes[i][0] === null || share < classes[i][0]) { return classes[i][1]; }
        }
        return classes[classes.length - 1][1];
    };

    E.updatePanels = function () {
        (E.cfg.summaries || []).forEach(function (spec, i) {
            var panel = E.summaryPanels[i];
            var rows = spec.rows.map(function (row) {
                return "<tr><th>" + fill(row.label) + "</th><td>" + E.renderParts(row.parts) + "</td></tr>";
            }).join("");
            panel.body.innerHTML = "<table>" + rows + "</table>";
            panel.setTitle(fill(spec.title));
        });
        (E.cfg.lists || []).forEach(function (spec, i) {
            var panel = E.listPanels[i], rec = E.layers[spec.layer];
            if (!rec) { return; }
            var rows = E.rows(spec.layer, spec.where), src = rec.src;
            var ul = el("ol", "ecogis-list");
            rows.forEach(function (r) {
                var li = el("li");
                var a = el("a");
                a.href = "#";
                a.textContent = spec.text.map(function (c) {
                    var v = src.a[c] ? src.a[c][r] : "";
                    return v === null || v === undefined ? "" : String(v);
                }).filter(function (s) { return s; }).join(" ");
                L.DomEvent.on(a, "click", function (ev) { L.DomEvent.preventDefault(ev); E.zoomTo(spec.target || spec.layer, r); });
                li.appendChild(a);
                ul.appendChild(li);
            });
            panel.body.innerHTML = "";
            if (!rows.length) { panel.body.appendChild(el("div", "ecogis-empty", spec.empty || "")); }
            panel.body.appendChild(ul);
            panel.setTitle(fill(spec.title).replace("{n}", String(rows.length)));
            panel.div.setAttribute("data-count", String(rows.length));
        });
        (E.cfg.charts || []).forEach(function (spec, i) {
            var panel = E.chartPanels[i], bars;
            if (spec.bars) {
                bars = spec.bars;
            } else {
                var rec = E.layers[spec.layer], src = rec.src;
                var rows = E.rows(spec.layer, spec.where);
                bars = spec.groups.map(function (g) {
                    var n = 0, dn = 0;
                    rows.forEach(function (r) {
                        if (String(src.a[spec.group][r]) === String(g[0])) {
                            n += num(src.a[spec.num][r]);
                            dn += num(src.a[spec.den][r]);
                        }
                    });
                    return [g[1], dn > 0 ? 100 * n / dn : null, g[2]];
                });
            }
            panel.body.innerHTML = chartSvg(spec, bars);
            panel.setTitle(fill(spec.title));
        });
    };

    // ------------------------------------------------------------------ search and zoom-to

    E.zoomTo = function (name, row) {
        var rec = E.layers[name], map = E.map;
        if (!rec) { return false; }
        var src = rec.src;
        if (src.x && !src.x[row]) {
            E.notice("absent", text("absent"));
            return false;
        }
        if (!E.visible(src, row)) { E.clearFilters(); }
        if (!map.hasLayer(rec.fg)) { map.addLayer(rec.fg); }
        E.refresh();
        var items = [];
        rec.items.forEach(function (l, k) { if (rec.rowOf[k] === row) { items.push(l); } });
        if (!items.length) { return false; }
        var b = L.latLngBounds([]);
        items.forEach(function (l) { b.extend(l.getBounds ? l.getBounds() : l.getLatLng()); });
        E.fitIn(b, E.cfg.zoomTo || 14);
        var l = items[0], ll = l.getLatLng ? l.getLatLng() : (l.getCenter ? l.getCenter() : b.getCenter());
        map.closePopup();
        l.fire("click", {latlng: ll}, true);
        // Leaflet opens the hover text on a click too (for touch screens): not over the popup
        rec.g.closeTooltip();
        return true;
    };

    E.addSearch = function (map, spec) {
        var ctl = L.control({position: "topleft"});
        ctl.onAdd = function () {
            var div = el("div", "ecogis-box ecogis-search");
            var input = el("input");
            input.type = "search";
            input.placeholder = spec.placeholder;
            input.setAttribute("aria-label", spec.placeholder);
            var results = el("div", "ecogis-results");
            div.appendChild(input);
            div.appendChild(results);
            var found = [];
            function run() {
                var qq = norm(input.value).trim();
                results.innerHTML = "";
                found = [];
                if (!qq) { return; }
                (spec.targets || []).forEach(function (t) {
                    var rec = E.layers[t.layer];
                    if (!rec) { return; }
                    var src = rec.src, n = src.d.n;
                    for (var r = 0; r < n; r++) {
                        var words = t.cols.map(function (c) {
                            var v = src.a[c] ? src.a[c][r] : "";
                            return v === null || v === undefined ? "" : String(v);
                        });
                        if (norm(words.join(" ")).indexOf(qq) >= 0) {
                            found.push({layer: t.layer, row: r, text: words.filter(Boolean).join(" "),
                                        kind: t.kind || ""});
                        }
                    }
                });
                if (!found.length) {
                    results.appendChild(el("div", "ecogis-empty", spec.none));
                    return;
                }
                found.slice(0, 20).forEach(function (f) {
                    var a = el("a");
                    a.href = "#";
                    a.textContent = f.text;
                    if (f.kind) { a.appendChild(el("span", "ecogis-kind", f.kind)); }
                    L.DomEvent.on(a, "click", function (ev) { L.DomEvent.preventDefault(ev); pick(f); });
                    results.appendChild(a);
                });
            }
            function pick(f) {
                results.innerHTML = "";
                input.blur();
                E.zoomTo(f.layer, f.row);
            }
            L.DomEvent.on(input, "input", run);
            L.DomEvent.on(input, "keydown", function (ev) {
                if (ev.key === "Enter") { run(); if (found.length) { pick(found[0]); } }
                if (ev.key === "Escape") { input.value = ""; run(); }
            });
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        ctl.addTo(map);
    };

    // ------------------------------------------------------------------ filters and time UI

    E.clearFilters = function () {
        E.filters.forEach(function (f) {
            E.values[f.key] = f.auto ? "$auto" : "";
            if (f.select) { f.select.value = E.values[f.key]; }
        });
    };
    E.addFilters = function (map, specs) {
        var panel = E.panel(map, {position: "topleft", cls: "ecogis-filters", title: text("filters"),
                                  collapsed: "narrow"});
        specs.forEach(function (f) {
            var row = el("label", "ecogis-filter");
            row.appendChild(el("span", null, f.label));
            var sel = el("select");
            sel.setAttribute("data-key", f.key);
            var opts = [];
            if (f.auto) { opts.push(["$auto", f.auto]); }
            opts.push(["", f.all]);
            f.options.forEach(function (o) { opts.push(o); });
            opts.forEach(function (o) {
                var op = el("option", null, o[1]);
                op.value = String(o[0]);
                sel.appendChild(op);
            });
            var start = f.initial === undefined || f.initial === null ? (f.auto ? "$auto" : "") : String(f.initial);
            sel.value = start;
            E.values[f.key] = start;
            L.DomEvent.on(sel, "change", function () {
                E.values[f.key] = sel.value;
                E.updateAutoLabels();
                E.refresh();
            });
            f.select = sel;
            row.appendChild(sel);
            panel.body.appendChild(row);
            E.filters.push(f);
        });
        E.filterPanel = panel;
    };
    // the "follow the date" option names the year it follows
    E.updateAutoLabels = function () {
        E.filters.forEach(function (f) {
            if (!f.auto || !f.select) { return; }
            var op = f.select.querySelector('option[value="$auto"]');
            if (op) { op.innerHTML = f.auto.replace("{value}", String(E.autoValue(f.key))); }
        });
    };
    E.addTime = function (map, t) {
        var panel = E.panel(map, {position: "bottomleft", cls: "ecogis-time", title: t.title, fixed: true});
        var row = el("div", "ecogis-time-row");
        var prev = el("button", "ecogis-step", "\u25c0"), next = el("button", "ecogis-step", "\u25b6");
        prev.type = next.type = "button";
        prev.setAttribute("aria-label", text("earlier"));
        next.setAttribute("aria-label", text("later"));
        var slider = el("input");
        slider.type = "range";
        slider.min = "0";
        slider.max = String(t.steps.length - 1);
        slider.step = "1";
        slider.setAttribute("aria-label", t.title);
        var label = el("span", "ecogis-date");
        row.appendChild(prev); row.appendChild(slider); row.appendChild(next); row.appendChild(label);
        panel.body.appendChild(row);
        function go(i) {
            i = Math.max(0, Math.min(t.steps.length - 1, i));
            E.applyStep(i);
            E.updateAutoLabels();
            E.refresh();
        }
        E.timeUI = function (i) {
            slider.value = String(i);
            label.innerHTML = t.steps[i].l;
            label.setAttribute("data-date", t.steps[i].d);
        };
        E.setDate = function (iso) {
            for (var i = 0; i < t.steps.length; i++) { if (t.steps[i].d === iso) { go(i); return true; } }
            return false;
        };
        L.DomEvent.on(slider, "input", function () { go(Number(slider.value)); });
        L.DomEvent.on(prev, "click", function () { go(E.step - 1); });
        L.DomEvent.on(next, "click", function () { go(E.step + 1); });
        E.timePanel = panel;
    };

    // ------------------------------------------------------------------ notices

    E.notice = function (key, html) {
        var box = document.querySelector(".ecogis-notices");
        if (!box) {
            box = el("div", "ecogis-notices");
            document.body.appendChild(box);
        }
        var n = E.notices[key];
        if (!n) {
            n = el("div", "ecogis-notice");
            n.setAttribute("data-key", key);
            n.setAttribute("role", "status");
            var msg = el("span", "ecogis-notice-text");
            var close = el("button", "ecogis-notice-close", "\u00d7");
            close.type = "button";
            close.setAttribute("aria-label", text("close") || "close");
            close.onclick = function () { n.style.display = "none"; };
            n.appendChild(msg);
            n.appendChild(close);
            box.appendChild(n);
            E.notices[key] = n;
        }
        n.firstChild.innerHTML = html;
        n.style.display = "";
        E.layout();
        return n;
    };

    // tiles that do not load (no network, wrong intranet address) say so on the map
    E.watchTiles = function (layer, name) {
        var failed = 0, loaded = 0;
        layer.on("tileerror", function () {
            failed++;
            E.notice("tiles-" + name, text("tiles_failed").replace("{name}", name).replace("{n}", String(failed)) +
                     (loaded ? "" : " " + text("tiles_none")));
        });
        layer.on("tileload", function () { loaded++; });
    };

    // a basemap embedded in the page (mbtiles:FILE): tiles as base64, keyed "z/x/y"
    var EMPTY_TILE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
    E.embeddedTiles = function (data, opts) {
        var Embedded = L.TileLayer.extend({
            getTileUrl: function (c) {
                var t = data.t[c.z + "/" + c.x + "/" + c.y];
                return t ? "data:" + data.m + ";base64," + t : EMPTY_TILE;
            }
        });
        return new Embedded("", opts);
    };

    // ------------------------------------------------------------------ layout and start

    // controls start below the title; the title's height depends on the screen
    E.layout = function () {
        var title = document.querySelector(".ecogis-title");
        var h = title ? title.getBoundingClientRect().bottom : 0;
        var notices = document.querySelector(".ecogis-notices");
        if (notices) {
            notices.style.top = (h + 4) + "px";
        }
        Array.prototype.forEach.call(document.querySelectorAll(".leaflet-top"), function (c) {
            c.style.top = Math.ceil(h) + "px";
        });
    };

    // panels at the top and at the bottom of one side must not run into each other: the
    // lists and tables at the top scroll in less room, or fold (``keep`` stays open)
    E.avoidOverlap = function (keep) {
        ["left", "right"].forEach(function (side) {
            var top = document.querySelector(".leaflet-top.leaflet-" + side);
            var bottom = document.querySelector(".leaflet-bottom.leaflet-" + side);
            if (!top || !bottom) { return; }
            var limit = E.map.getContainer().getBoundingClientRect().bottom;
            Array.prototype.forEach.call(bottom.querySelectorAll(".leaflet-control"), function (c) {
                var r = c.getBoundingClientRect();
                if (r.height > 0) { limit = Math.min(limit, r.top); }
            });
            var panels = E.panels.filter(function (p) {
                return top.contains(p.div) && !p.collapsed && !p.opts.fixed;
            }).reverse();
            panels.forEach(function (p) { p.body.style.maxHeight = ""; });
            // the layer list (Leaflet's) scrolls too: first down to 160 px, then the panels
            // give way, then the list down to 100 px
            var list = top.querySelector(".leaflet-control-layers-expanded .leaflet-control-layers-list");
            if (list) { list.style.maxHeight = ""; list.style.overflowY = ""; }
            function over() { return top.getBoundingClientRect().bottom - (limit - 8); }
            function shrinkList(least) {
                var extra = over();
                if (!list || extra <= 0) { return; }
                var h = list.getBoundingClientRect().height;
                if (h <= least) { return; }
                list.style.maxHeight = Math.max(least, h - extra) + "px";
                list.style.overflowY = "auto";
            }
            shrinkList(160);
            panels.forEach(function (p) {
                var extra = over();
                if (extra <= 0 || p === keep) { return; }
                var h = p.body.getBoundingClientRect().height;
                if (h - extra >= 70) {
                    p.body.style.maxHeight = (h - extra) + "px";
                } else {
                    p.setCollapsed(true);
                }
            });
            shrinkList(100);
        });
    };

    E.keepOnTop = function () {
        (E.top || []).forEach(function (l) { if (E.map.hasLayer(l)) { l.bringToFront(); } });
    };

    E.finish = function (map, cfg) {
        E.map = map;
        E.cfg = cfg;
        window.ecogisMap = map;
        document.documentElement.classList.toggle("ecogis-narrow", narrow());
        if (map.attributionControl) {
            map.attributionControl.setPrefix(cfg.prefix || false);
            (cfg.attribution || []).forEach(function (a) { map.attributionControl.addAttribution(a); });
        }
        E.top = cfg.top || [];
        if (cfg.search) { E.addSearch(map, cfg.search); }
        E.summaryPanels = (cfg.summaries || []).map(function (s) {
            return E.panel(map, {position: "topleft", cls: "ecogis-panel", title: s.title, collapsed: "narrow"});
        });
        if (cfg.filters && cfg.filters.length) { E.addFilters(map, cfg.filters); }
        L.control.zoom({position: "topright", zoomInTitle: text("zoom_in"), zoomOutTitle: text("zoom_out")}).addTo(map);
        var bases = {}, overlays = {};
        (cfg.bases || []).forEach(function (b) { bases[b[0]] = b[1]; });
        (cfg.overlays || []).forEach(function (o) { overlays[o[0]] = o[1]; });
        L.control.layers(bases, overlays, {collapsed: narrow(), position: "topright"}).addTo(map);
        // on a phone the lists fold into the left column, so the right one stays narrow
        E.listPanels = (cfg.lists || []).map(function (s) {
            return E.panel(map, {position: narrow() ? "topleft" : "topright", cls: "ecogis-listbox",
                                 title: s.title, collapsed: "narrow"});
        });
        L.control.scale({metric: true, imperial: false, position: "bottomleft"}).addTo(map);
        if (cfg.time) { E.addTime(map, cfg.time); }
        E.chartPanels = (cfg.charts || []).map(function (s) {
            return E.panel(map, {position: "bottomleft", cls: "ecogis-chart-box", title: s.title, collapsed: "narrow"});
        });
        // on a phone the legend folds into the bottom-left corner beside the chart (one open at
        // a time), so nothing at the bottom right can run into them
        (cfg.legends || []).forEach(function (lg) {
            var where = narrow() && lg.position === "bottomright" ? "bottomleft" : (lg.position || "bottomright");
            E.panel(map, {position: where, cls: "ecogis-legend", title: lg.title, body: lg.body,
                          collapsed: "narrow"});
        });
        (cfg.panels || []).forEach(function (p) {
            E.panel(map, {position: p.position || "topleft", cls: p.cls || "ecogis-panel", title: p.title,
                          body: p.body, collapsed: "narrow"});
        });
        (cfg.tiles || []).forEach(function (t) { E.watchTiles(t[0], t[1]); });
        map.on("popupopen", function (e) {
            E.popup = e.popup;
            E.fitPopup(e.popup);
        });
        map.on("popupclose", function (e) { if (E.popup === e.popup) { E.popup = null; } });
        map.on("overlayadd overlayremove", function () { E.keepOnTop(); E.updateLabels(); });
        map.on("zoomend moveend", E.placeLabels);
        window.addEventListener("resize", function () {
            document.documentElement.classList.toggle("ecogis-narrow", narrow());
            E.layout();
            E.avoidOverlap();
        });
        if (cfg.time) { E.applyStep(cfg.time.i); }
        E.updateAutoLabels();
        E.layout();
        E.refresh();
        E.avoidOverlap();
        if (cfg.fit) { E.fitIn(L.latLngBounds(cfg.fit)); }
        E.placeLabels();
        window.ecogisReady = true;
    };

    // an --online map whose Leaflet could not load from the CDN: say so instead of a white page
    document.addEventListener("DOMContentLoaded", function () {
        if (window.L) { return; }
        var msg = (window.ecogisTexts && window.ecogisTexts.no_leaflet) || "Leaflet could not be loaded.";
        var div = el("div", "ecogis-notice ecogis-fatal", msg);
        div.setAttribute("role", "alert");
        document.body.appendChild(div);
    });
})();
