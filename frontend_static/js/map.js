// A tile-less sketch map (no network, nothing for CSP to block): points placed by their coordinates in
// an equirectangular frame. A tap puts the pin. Optional by design: GPS and the ward list do the same.
const SVG = 'http://www.w3.org/2000/svg';
const W = 320;
const H = 200;

function el(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

export function frameAround(points, centre, minSpan = 0.02) {
  const lats = points.map((p) => p.latitude).concat(centre ? [centre.latitude] : []);
  const lons = points.map((p) => p.longitude).concat(centre ? [centre.longitude] : []);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const midLon = (Math.min(...lons) + Math.max(...lons)) / 2;
  const span = Math.max(minSpan, (Math.max(...lats) - Math.min(...lats)) * 1.2, (Math.max(...lons) - Math.min(...lons)) * 1.2 * H / W);
  return { north: midLat + span / 2, south: midLat - span / 2, west: midLon - span * W / H / 2, east: midLon + span * W / H / 2 };
}

export function sketchMap({ frame, points = [], pin = null, onPick = null, label }) {
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'map', role: 'img', 'aria-label': label });
  const x = (lon) => ((lon - frame.west) / (frame.east - frame.west)) * W;
  const y = (lat) => ((frame.north - lat) / (frame.north - frame.south)) * H;
  for (let i = 1; i < 8; i += 1) {
    svg.append(el('line', { x1: (W * i) / 8, y1: 0, x2: (W * i) / 8, y2: H, stroke: '#c9d6c4', 'stroke-width': 1 }));
    svg.append(el('line', { x1: 0, y1: (H * i) / 8, x2: W, y2: (H * i) / 8, stroke: '#c9d6c4', 'stroke-width': 1 }));
  }
  for (const p of points) svg.append(el('circle', { cx: x(p.longitude), cy: y(p.latitude), r: 6, class: 'map-dot' }));
  const pinMark = el('circle', { r: 9, class: 'map-pin', cx: -20, cy: -20 });
  svg.append(pinMark);
  const place = (point) => {
    if (!point) return;
    pinMark.setAttribute('cx', x(point.longitude));
    pinMark.setAttribute('cy', y(point.latitude));
  };
  place(pin);
  if (onPick) {
    svg.addEventListener('click', (event) => {
      const box = svg.getBoundingClientRect();
      const px = ((event.clientX - box.left) / box.width) * W;
      const py = ((event.clientY - box.top) / box.height) * H;
      const point = {
        latitude: +(frame.north - (py / H) * (frame.north - frame.south)).toFixed(6),
        longitude: +(frame.west + (px / W) * (frame.east - frame.west)).toFixed(6),
      };
      place(point);
      onPick(point);
    });
  }
  return { svg, place };
}
