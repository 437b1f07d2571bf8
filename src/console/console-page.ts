/**
 * The console's web UI: one HTML page with its style and script inline (about 12 KB, no external
 * resource, nothing fetched from outside the machine). A hash-routed page over the JSON API:
 * #/ live task list with filters, #/task/ID detail with cancel and resubmit, #/workers, #/dlq with
 * replay, #/packages with stacks. The list refreshes on the server's `stored` events and every 5 s.
 */
export function consolePage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Berth console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head>
<body><header><b>Berth</b> console
<nav><a href="#/">Tasks</a><a href="#/workers">Workers</a><a href="#/dlq">Dead letters</a><a href="#/packages">Stacks &amp; packages</a></nav>
<span id="live" title="live updates"></span></header>
<main id="view"></main>
<script>${SCRIPT}</script></body></html>`;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center}
nav a{color:#cfe1ff;margin-right:14px;text-decoration:none}nav a:hover{text-decoration:underline}
#live{margin-left:auto;font-size:12px;color:#9fb3c8}
main{padding:12px 16px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#eef1f5;font-weight:600}td.mono,pre,.mono{font-family:ui-monospace,monospace;font-size:12px}
pre{background:#10151d;color:#e8eef5;padding:8px;overflow:auto;max-height:320px;white-space:pre-wrap}
.s{padding:1px 6px;border-radius:3px;font-size:12px;font-weight:600}
.s-SUCCEEDED{background:#d8f5dd;color:#155e24}.s-FAILED,.s-TIMED_OUT,.s-KILLED,.s-REJECTED{background:#fbdcdc;color:#8a1c1c}
.s-CANCELLED{background:#eee;color:#555}.s-QUEUED{background:#dde9fb;color:#1c3f8a}
form.filters{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:10px}form.filters input,form.filters select{padding:3px 6px}
button{padding:4px 10px;cursor:pointer}.counts span{margin-right:12px}.err{color:#a00}.muted{color:#778}
.card{background:#fff;border:1px solid #e3e6ea;padding:10px;margin-bottom:10px}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:0}dt{color:#667}`;

const SCRIPT = `
const view=document.getElementById('view');
const esc=s=>String(s??'').replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const t=ms=>ms==null?'':new Date(ms).toISOString().replace('T',' ').slice(0,19);
const st=s=>'<span class="s s-'+esc(s)+'">'+esc(s)+'</span>';
async function api(path,opts){const r=await fetch('/api/'+path,opts);const b=await r.json().catch(()=>({error:r.statusText}));if(!r.ok)throw new Error(b.error||r.statusText);return b;}
const post=(path,body)=>api(path,{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(body||{})});
let filters={},cursor=null,rows=[],refresh=null;
function filterQuery(){const q=new URLSearchParams();for(const[k,v]of Object.entries(filters)){if(!v)continue;if(k==='since'){q.set('from',String(Date.now()-Number(v)*60000));}else if(k==='label'){for(const l of v.split(','))if(l.trim())q.append('label',l.trim());}else q.set(k,v);}return q;}
function taskRow(x){return '<tr data-id="'+esc(x.id)+'"><td class="mono"><a class="task-link" href="#/task/'+encodeURIComponent(x.id)+'">'+esc(x.id)+'</a></td><td>'+st(x.status)+'</td><td>'+esc(x.package?x.package+'@'+(x.packageRevision??'latest'):'')+'</td><td>'+esc(x.stack)+'</td><td class="mono">'+esc(x.workerId)+'</td><td>'+esc(x.lastAttempt)+'</td><td>'+t(x.finishedAtMs??x.submittedAtMs)+'</td><td>'+esc(Object.entries(x.labels||{}).map(([k,v])=>k+'='+v).join(' '))+'</td><td>'+esc((x.reason||'').slice(0,80))+'</td></tr>';}
async function loadTasks(more){const q=filterQuery();if(more&&cursor)q.set('cursor',cursor);
 const [page,sum]=await Promise.all([api('tasks?'+q),more?null:api('summary')]);
 rows=more?rows.concat(page.items):page.items;cursor=page.nextCursor;
 if(sum)document.getElementById('counts').innerHTML=Object.entries(sum.statuses).map(([k,v])=>'<span>'+st(k)+' '+v+'</span>').join('');
 document.getElementById('tbody').innerHTML=rows.map(taskRow).join('')||'<tr><td colspan="9" class="muted">no tasks match</td></tr>';
 document.getElementById('more').style.display=cursor?'':'none';}
function tasksView(){const f=filters;
 view.innerHTML='<div class="counts" id="counts"></div><form class="filters" id="filters">'+
 '<select id="f-status" name="status"><option value="">any status</option>'+['QUEUED','SUCCEEDED','FAILED','TIMED_OUT','KILLED','CANCELLED','REJECTED'].map(s=>'<option'+(f.status===s?' selected':'')+'>'+s+'</option>').join('')+'</select>'+
 ['package','stack','worker','label','id'].map(k=>'<input id="f-'+k+'" name="'+k+'" placeholder="'+(k==='label'?'label k=v':k)+'" value="'+esc(f[k]||'')+'">').join('')+
 '<select id="f-since" name="since"><option value="">any time</option>'+[[15,'last 15 min'],[60,'last hour'],[1440,'last day']].map(([m,l])=>'<option value="'+m+'"'+(String(f.since)===String(m)?' selected':'')+'>'+l+'</option>').join('')+'</select>'+
 '<button type="submit" id="apply">Filter</button><button type="button" id="clear">Clear</button></form>'+
 '<table><thead><tr><th>Task</th><th>Status</th><th>Package</th><th>Stack</th><th>Worker</th><th>Attempt</th><th>Time</th><th>Labels</th><th>Reason</th></tr></thead><tbody id="tbody"></tbody></table><p><button id="more">More</button></p>';
 document.getElementById('filters').onsubmit=e=>{e.preventDefault();filters=Object.fromEntries(new FormData(e.target));loadTasks(false).catch(showErr);};
 document.getElementById('clear').onclick=()=>{filters={};tasksView();};
 document.getElementById('more').onclick=()=>loadTasks(true).catch(showErr);
 loadTasks(false).catch(showErr);refresh=()=>{if(!cursor||rows.length<=50)loadTasks(false).catch(showErr);};}
function attemptCard(a,i){const outs=(a.outputs||[]).map(o=>'<a download="'+esc(o.name)+'" href="data:application/octet-stream;base64,'+o.base64+'">'+esc(o.name)+'</a> ('+o.bytes+' bytes)').join(', ');
 return '<div class="card attempt"><h3>Attempt '+a.attempt+' '+st(a.status)+'</h3><dl>'+
 [['exit code',a.exitCode],['reason',a.reason],['worker',a.workerId],['stack',a.stack],['image',a.stackImage],['code',a.codeName?a.codeName+'@'+a.codeRevision:''],['queue wait',a.queueWaitMs+' ms'],['start latency',a.startLatencyMs+' ms'],['run',a.runMs+' ms'],['finished',t(a.finishedAtMs)],['trace id',a.traceId],['source',a.sourceTopic+'/'+a.sourcePartition+'/'+a.sourceOffset]].map(([k,v])=>'<dt>'+k+'</dt><dd class="mono">'+esc(v)+'</dd>').join('')+
 '</dl><h4>stdout'+(a.stdoutTruncated?' (truncated)':'')+'</h4><pre id="stdout-'+i+'">'+esc(a.stdout)+'</pre><h4>stderr'+(a.stderrTruncated?' (truncated)':'')+'</h4><pre id="stderr-'+i+'">'+esc(a.stderr)+'</pre>'+(outs?'<p>outputs: '+outs+'</p>':'')+'</div>';}
let shown='',actionMsg={id:'',text:'',err:false};
async function taskView(id,onlyIfChanged){const d=await api('tasks/'+encodeURIComponent(id));const x=d.task;
 const sig=id+'|'+x.status+'|'+d.attempts.length;if(onlyIfChanged&&sig===shown)return;shown=sig;if(actionMsg.id!==id)actionMsg={id,text:'',err:false};
 view.innerHTML='<h2 class="mono">'+esc(x.id)+' <span id="task-status">'+st(x.status)+'</span></h2><p>'+
 '<button id="cancel"'+(x.status==='QUEUED'?'':' disabled')+'>Cancel</button> <button id="resubmit"'+(x.resubmittable?'':' disabled title="its event was not seen"')+'>Resubmit</button> <span id="action-msg"></span></p>'+
 '<div class="card"><dl>'+[['package',x.package?x.package+'@'+(x.packageRevision??'latest'):''],['stack',x.stack],['submitted',t(x.submittedAtMs)],['finished',t(x.finishedAtMs)],['labels',JSON.stringify(x.labels)],['trace id',x.traceId]].map(([k,v])=>'<dt>'+k+'</dt><dd class="mono">'+esc(v)+'</dd>').join('')+'</dl></div>'+
 (d.attempts.length?d.attempts.map(attemptCard).join(''):'<p class="muted">no attempt finished yet</p>');
 const say=(html,err)=>{actionMsg={id,text:html,err};const m=document.getElementById('action-msg');m.innerHTML=html;m.className=err?'err':'';};
 say(actionMsg.text,actionMsg.err);
 document.getElementById('cancel').onclick=()=>post('tasks/'+encodeURIComponent(id)+'/cancel',{reason:'cancelled from the console'}).then(()=>say('cancel requested')).catch(e=>say(esc(e.message),true));
 document.getElementById('resubmit').onclick=()=>post('tasks/'+encodeURIComponent(id)+'/resubmit').then(r=>say('resubmitted as <a id="resubmitted" href="#/task/'+encodeURIComponent(r.id)+'">'+esc(r.id)+'</a>')).catch(e=>say(esc(e.message),true));
 refresh=()=>taskView(id,true).catch(showErr);}
async function workersView(){const d=await api('workers');
 view.innerHTML='<table id="workers"><thead><tr><th>Worker</th><th>Host</th><th>State</th><th>Slots busy/total</th><th>Memory used/budget</th><th>Buffered</th><th>Lag</th><th>Paused partitions</th><th>Succeeded</th><th>Failed</th><th>Reported</th></tr></thead><tbody>'+
 d.items.map(w=>'<tr><td class="mono">'+esc(w.workerId)+'</td><td>'+esc(w.host)+'</td><td>'+esc(w.state)+(w.stale?' <span class="err">(stale)</span>':'')+'</td><td class="slots">'+w.slotsBusy+' / '+w.slotsTotal+'</td><td>'+Math.round(w.memoryUsedBytes/1048576)+' / '+Math.round(w.memoryBudgetBytes/1048576)+' MiB</td><td>'+w.bufferedTasks+'</td><td>'+w.lag+'</td><td>'+w.pausedPartitions+'</td><td>'+w.tasksSucceeded+'</td><td>'+w.tasksFailed+'</td><td>'+t(w.reportedAtMs)+'</td></tr>').join('')+'</tbody></table>';
 refresh=()=>workersView().catch(showErr);}
async function dlqView(){const d=await api('dlq');
 view.innerHTML='<table id="dlq"><thead><tr><th>Task</th><th>Reason</th><th>Source</th><th>Worker</th><th>Dead since</th><th>Replays</th><th></th></tr></thead><tbody>'+
 (d.items.map(x=>'<tr data-id="'+esc(x.id)+'"><td class="mono">'+(x.taskId?'<a href="#/task/'+encodeURIComponent(x.taskId)+'">'+esc(x.taskId)+'</a>':'')+'</td><td>'+esc(x.reason)+'</td><td class="mono">'+esc((x.sourceTopic||'')+'/'+(x.sourcePartition??'')+'/'+(x.sourceOffset||''))+'</td><td class="mono">'+esc(x.workerId)+'</td><td>'+t(x.deadAtMs)+'</td><td class="replays">'+x.replays+'</td><td><button class="replay" data-id="'+esc(x.id)+'"'+(x.truncated?' disabled':'')+'>Replay</button></td></tr>').join('')||'<tr><td colspan="7" class="muted">no dead letters</td></tr>')+'</tbody></table><p id="dlq-msg"></p>';
 for(const b of view.querySelectorAll('button.replay'))b.onclick=()=>post('dlq/'+encodeURIComponent(b.dataset.id)+'/replay').then(r=>dlqView().then(()=>{document.getElementById('dlq-msg').textContent='replayed '+(r.taskId||r.replayed);})).catch(showErr);
 refresh=null;}
async function packagesView(){const [p,s]=await Promise.all([api('packages'),api('stacks')]);
 view.innerHTML='<h2>Stacks</h2><table id="stacks"><thead><tr><th>Stack</th><th>Images</th><th>Attempts</th><th>Last used</th><th>Packages</th></tr></thead><tbody>'+
 s.items.map(x=>'<tr><td>'+esc(x.stack)+'</td><td class="mono">'+esc(x.images.join(' '))+'</td><td>'+x.attempts+'</td><td>'+t(x.lastUsedMs)+'</td><td>'+esc(x.packages.join(', '))+'</td></tr>').join('')+'</tbody></table>'+
 '<h2>Code packages</h2><table id="packages"><thead><tr><th>Package</th><th>Revision</th><th>Stack</th><th>Isolation</th><th>Digest</th><th>Size</th><th>Pushed</th></tr></thead><tbody>'+
 p.items.flatMap(x=>x.revisions.map(r=>'<tr><td>'+esc(x.name)+'</td><td>'+r.revision+(r.revision===x.latest?' (latest)':'')+'</td><td>'+esc(r.stack)+'</td><td>'+esc(r.isolation)+(r.handler?' '+esc(r.handler):'')+'</td><td class="mono">'+esc(r.digest.slice(0,19))+'</td><td>'+r.tarballBytes+' B</td><td>'+t(r.createdAtMs)+'</td></tr>')).join('')+'</tbody></table>';
 refresh=null;}
function showErr(e){view.insertAdjacentHTML('afterbegin','<p class="err">'+esc(e.message)+'</p>');}
function route(){refresh=null;shown='';const h=location.hash.slice(1)||'/';
 if(h.startsWith('/task/')){const id=decodeURIComponent(h.slice(6));refresh=()=>taskView(id,true).catch(()=>{});taskView(id).catch(e=>{view.innerHTML='';showErr(e);});}
 else if(h==='/workers')workersView().catch(showErr);else if(h==='/dlq')dlqView().catch(showErr);else if(h==='/packages')packagesView().catch(showErr);else tasksView();}
window.addEventListener('hashchange',route);route();
const live=document.getElementById('live');
try{const es=new EventSource('/api/events');es.addEventListener('stored',()=>{live.textContent='updated '+t(Date.now()).slice(11);refresh&&refresh();});es.onopen=()=>{live.textContent='live';};es.onerror=()=>{live.textContent='reconnecting';};}catch(e){}
setInterval(()=>refresh&&refresh(),5000);`;
