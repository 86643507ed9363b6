// Live notifications over graphql-transport-ws. The access token goes in connection_init's payload,
// never in the URL (URLs end up in logs).
import { NOTIFICATION_RECEIVED } from './queries.js';

// `renew` gets a fresh access token: the hub ends a subscription when the token it was opened with expires.
export function connectLive(getToken, onNotification, renew) {
  let socket = null;
  let stopped = false;
  let delay = 1000;

  function open() {
    const token = getToken();
    if (stopped || !token) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/graphql`, 'graphql-transport-ws');
    socket.binaryType = 'arraybuffer'; // the hub may send its JSON in binary frames
    socket.onopen = () => socket.send(JSON.stringify({
      type: 'connection_init', payload: { Authorization: `Bearer ${token}` },
    }));
    socket.onmessage = (event) => {
      const text = typeof event.data === 'string' ? event.data : new TextDecoder().decode(event.data);
      const message = JSON.parse(text);
      if (message.type === 'connection_ack') {
        delay = 1000;
        socket.send(JSON.stringify({ id: 'n', type: 'subscribe', payload: { query: NOTIFICATION_RECEIVED } }));
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (message.type === 'next' && message.payload.data) {
        onNotification(message.payload.data.notificationReceived);
      }
    };
    socket.onclose = () => {
      socket = null;
      if (!stopped) setTimeout(() => renew().catch(() => false).finally(open), delay);
      delay = Math.min(delay * 2, 60000);
    };
  }

  open();
  return {
    stop() { stopped = true; if (socket) socket.close(); },
    reconnect() { if (socket) socket.close(); else open(); },
  };
}
