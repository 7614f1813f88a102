namespace ShadowPt.Visualisation;

/// <summary>The report's inline style sheet and script.</summary>
public static partial class HtmlReport
{
    private const string Css = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; }
        h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 28px; }
        .note { color: #555; } .violation { color: #b00000; font-weight: bold; }
        pre.report { background: #f4f4f4; padding: 8px; overflow-x: auto; font-size: 12px; }
        table.summary th { text-align: left; padding-right: 16px; font-weight: 600; }
        .scroll { overflow-x: auto; border: 1px solid #ddd; }
        svg text { font: 11px monospace; } svg text.label { font-weight: bold; } svg text.axis { fill: #666; }
        svg text.edge-label { font-size: 9px; }
        table.shadow { border-collapse: collapse; font: 12px monospace; margin-top: 8px; }
        table.shadow td, table.shadow th { border: 1px solid #ccc; padding: 2px 8px; }
        table.shadow tr.diff td { background: #ffd0d0; font-weight: bold; }
        table.shadow tr.idle td { color: #777; }
        .controls input[type=range] { width: 420px; vertical-align: middle; }
        """;

    private const string Script = """
        var showCurrent = (function () {
          var data = document.getElementById('current');
          var input = document.getElementById('cpustep');
          var table = document.getElementById('percpu');
          if (!data || !input || !table) { return function () {}; }
          var changes = JSON.parse(data.textContent);
          var body = table.querySelector('tbody');
          var violation = parseInt(document.body.getAttribute('data-violation-step'), 10);
          function show(step) {
            var max = parseInt(input.max, 10);
            if (isNaN(step) || step < 0) { step = 0; }
            if (step > max) { step = max; }
            input.value = String(step);
            table.setAttribute('data-step', String(step));
            var byCpu = [];
            for (var i = 0; i < changes.length && changes[i][0] <= step; i++) { byCpu[changes[i][1]] = changes[i]; }
            while (body.firstChild) { body.removeChild(body.firstChild); }
            byCpu.forEach(function (c) {
              if (!c) { return; }
              var tr = document.createElement('tr');
              tr.setAttribute('data-cpu', String(c[1]));
              tr.setAttribute('data-pid', String(c[2]));
              if (c[2] === 0) { tr.className = 'idle'; }
              var cpu = document.createElement('td'); cpu.textContent = 'cpu' + c[1]; tr.appendChild(cpu);
              var task = document.createElement('td'); task.textContent = c[3]; tr.appendChild(task);
              body.appendChild(tr);
            });
          }
          input.addEventListener('input', function () { show(parseInt(input.value, 10)); });
          var back = document.getElementById('cpu-toviolation');
          if (isNaN(violation) || violation < 0) { back.disabled = true; }
          back.addEventListener('click', function () { if (violation >= 0) { show(violation); } });
          return show;
        })();
        (function () {
          var data = document.getElementById('snapshots');
          var slider = document.getElementById('snapshot');
          if (!data || !slider) { return; }
          var snaps = JSON.parse(data.textContent);
          var body = document.querySelector('#shadow tbody');
          var label = document.getElementById('snaplabel');
          var violation = parseInt(document.body.getAttribute('data-violation-step'), 10);
          function cell(row, text) { var td = document.createElement('td'); td.textContent = text; row.appendChild(td); }
          function show(i, quiet) {
            var s = snaps[i];
            slider.value = String(i);
            while (body.firstChild) { body.removeChild(body.firstChild); }
            var differing = 0;
            s.entries.forEach(function (e, index) {
              var tr = document.createElement('tr');
              if (e[5]) { tr.className = 'diff'; differing++; }
              tr.setAttribute('data-entry', String(index));
              cell(tr, String(index)); cell(tr, e[0]); cell(tr, e[1]); cell(tr, e[2]); cell(tr, e[3]); cell(tr, e[4]);
              body.appendChild(tr);
            });
            if (!quiet) { showCurrent(s.step); } // the first view keeps the per-cpu view at the violation
            label.textContent = 'snapshot ' + (i + 1) + ' of ' + snaps.length + ': step ' + s.step + ', tick ' + s.tick + ' (' + s.reason + '), ' + differing + ' differing';
          }
          function atViolation() {
            if (isNaN(violation) || violation < 0) { return snaps.length - 1; }
            var best = 0;
            for (var i = 0; i < snaps.length; i++) { if (snaps[i].step <= violation) { best = i; } }
            return best;
          }
          slider.addEventListener('input', function () { show(parseInt(slider.value, 10)); });
          document.getElementById('prev').addEventListener('click', function () { show(Math.max(0, parseInt(slider.value, 10) - 1)); });
          document.getElementById('next').addEventListener('click', function () { show(Math.min(snaps.length - 1, parseInt(slider.value, 10) + 1)); });
          document.getElementById('toviolation').addEventListener('click', function () { show(atViolation()); });
          show(0, true);
        })();
        """;
}
