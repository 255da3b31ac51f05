// The Proxmox hosts of the real-host test, as one HTTP proxy on 127.0.0.1
// (random port, printed on stdout). The container's apt is told to use it
// for these two hosts only (Acquire::http(s)::Proxy::<host>):
//   download.proxmox.com   files of the local signed repository (WWW/<host>/...)
//   enterprise.proxmox.com https (CONNECT, TLS with the test CA's certificate): 401, as without a subscription
// Every other request is refused with 403 and logged; nothing is forwarded.
// Usage: node proxy-server.mjs WWW CA_DIR LOG
import {createReadStream, appendFileSync, readFileSync, statSync} from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import tls from 'node:tls';

const [www, ca, log] = process.argv.slice(2);
const note = line => appendFileSync(log, `${new Date().toISOString()} ${line}\n`);

const enterprise = tls.createServer({key: readFileSync(path.join(ca, 'enterprise.key')), cert: readFileSync(path.join(ca, 'enterprise.crt'))});
const inner = http.createServer((req, res) => {
	note(`401 https://enterprise.proxmox.com${req.url}`);
	res.writeHead(401, {'WWW-Authenticate': 'Basic realm="Proxmox Enterprise Repository"', 'Content-Type': 'text/plain'});
	res.end('401 Unauthorized\n');
});
enterprise.on('secureConnection', socket => inner.emit('connection', socket));

const server = http.createServer((req, res) => {
	let url;
	try {
		url = new URL(req.url);
	} catch {
		note(`400 ${req.url}`);
		res.writeHead(400).end();
		return;
	}
	if (url.hostname !== 'download.proxmox.com') {
		note(`403 ${req.url}`);
		res.writeHead(403).end('not served by the real-host test\n');
		return;
	}
	const file = path.join(www, url.hostname, path.normalize(decodeURIComponent(url.pathname)));
	let info;
	try {
		info = statSync(file);
	} catch {}
	if (!info?.isFile() || !file.startsWith(path.join(www, url.hostname) + path.sep)) {
		note(`404 ${req.url}`);
		res.writeHead(404).end();
		return;
	}
	note(`200 ${req.url}`);
	res.writeHead(200, {'Content-Length': info.size, 'Last-Modified': info.mtime.toUTCString()});
	if (req.method === 'HEAD') res.end();
	else createReadStream(file).pipe(res);
});
server.on('connect', (req, socket) => {
	if (req.url !== 'enterprise.proxmox.com:443') {
		note(`403 CONNECT ${req.url}`);
		socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
		return;
	}
	socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
	enterprise.emit('connection', socket);
});
server.listen(0, '127.0.0.1', () => console.log(String(server.address().port)));
