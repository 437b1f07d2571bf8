"""Thumbnailer: payload {"imageB64": "...", "width": 64, "height": 64}; without an image it
renders a test pattern. Writes /task/out/thumb.png and prints its size as JSON."""
import base64
import json
import os
import subprocess
import sys

payload = json.loads(open(os.environ["PAYLOAD_FILE"], "rb").read() or b"{}")
width, height = int(payload.get("width", 64)), int(payload.get("height", 64))
source = "/tmp/source.png"
if "imageB64" in payload:
    with open(source, "wb") as f:
        f.write(base64.b64decode(payload["imageB64"]))
else:
    subprocess.run(["convert", "-size", "640x400", "gradient:navy-gold", source], check=True)

out_dir = os.environ.get("TASK_OUT", "/task/out")
thumb = os.path.join(out_dir, "thumb.png")
result = subprocess.run(["convert", source, "-thumbnail", f"{width}x{height}", "-strip", thumb],
                        capture_output=True, text=True)
if result.returncode != 0:
    print(f"convert failed: {result.stderr.strip()}", file=sys.stderr)
    sys.exit(1)
size = subprocess.run(["identify", "-format", "%w %h", thumb], capture_output=True, text=True, check=True)
w, h = (int(v) for v in size.stdout.split())
print(json.dumps({"thumb": "thumb.png", "width": w, "height": h, "bytes": os.path.getsize(thumb)}))
