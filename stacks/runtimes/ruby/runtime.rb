# frozen_string_literal: true

# Berth Ruby function runtime (docs/function-runtimes.md §2), Ruby 3.1+ with the standard library only.
#
# Loads BERTH_HANDLER = FILE:FUNCTION once: FILE (relative to the working directory /task/code, which
# is also put on $LOAD_PATH) is required; FUNCTION is a top-level method name (`handle`) or
# `Const.method` (`Const` may be nested, `A::B.call`). Then serves `C` lines from fd 3 one at a time,
# calling FUNCTION(payload, ctx) — payload a binary (ASCII-8BIT) String, ctx a Berth::Context — and
# replies on fd 4. Methods taking one argument get only the payload. Value mapping: BINARY String →
# bytes, other String → string (UTF-8), nil → null, anything else → JSON.generate → json.

require 'json'

module Berth
  # What a handler knows about its call. `remaining_ms` is never negative.
  class Context
    attr_reader :task_id, :attempt, :labels, :deadline_ms

    def initialize(task_id, attempt, labels, deadline_ms, replies = nil)
      @task_id = task_id
      @attempt = attempt
      @labels = labels
      @deadline_ms = deadline_ms
      @replies = replies
    end

    # Reports progress: pct (0-100, or nil) and an optional message. Best effort: the launcher
    # forwards the newest report at most a few times a second; it never fails the call.
    def progress(pct = nil, msg = '')
      return if @replies.nil?

      p = pct.is_a?(Numeric) && pct.to_f.finite? ? pct.to_s : ''
      @replies.write("P\t#{p}\t#{[msg.to_s].pack('m0')}\n")
      @replies.flush
    end

    def remaining_ms
      left = @deadline_ms - Process.clock_gettime(Process::CLOCK_REALTIME, :millisecond)
      left.positive? ? left : 0
    end

    def to_h
      { task_id: @task_id, attempt: @attempt, labels: @labels, deadline_ms: @deadline_ms }
    end
  end

  # The fd 3 / fd 4 loop. Not thread-safe: one call at a time.
  class Runtime
    MARK = "\x1e".b.freeze

    def initialize(spec, input, output)
      @spec = spec
      @in = input
      @out = output
    end

    def run
      fn = begin
        load_handler
      rescue SystemExit => e
        flush_streams
        reply_error("the handler file called exit(#{e.status}) while loading", stack_text(e))
        raise
      rescue SignalException
        raise
      rescue Exception => e # rubocop:disable Lint/RescueException -- load errors of any kind are reported
        flush_streams
        reply_error("#{e.class}: #{e.message}", stack_text(e))
        exit(1)
      end
      flush_streams
      @out.write("L\n")
      @out.flush
      serve(fn)
    end

    private

    def load_handler
      file, sep, function = @spec.to_s.partition(':')
      raise ArgumentError, 'BERTH_HANDLER is not set (expected FILE:FUNCTION)' if file.strip.empty?
      raise ArgumentError, "handler #{@spec.inspect} names no function (expected FILE:FUNCTION)" if sep.empty? || function.strip.empty?

      path = File.expand_path(file.strip, Dir.pwd)
      raise LoadError, "handler file #{file} not found in #{Dir.pwd}" unless File.file?(path)

      $LOAD_PATH.unshift(Dir.pwd) unless $LOAD_PATH.include?(Dir.pwd)
      require path
      resolve(function.strip)
    end

    # `name` → the top-level method; `A::B.name` → the singleton method of that constant.
    def resolve(function)
      owner_name, dot, name = function.rpartition('.')
      if dot.empty?
        name = function
        main = TOPLEVEL_BINDING.receiver
        unless Object.private_method_defined?(name) || Object.method_defined?(name)
          raise NameError, "no top-level method #{name} defined by #{@spec.partition(':').first}"
        end

        return main.method(name)
      end
      owner = Object.const_get(owner_name)
      raise NameError, "#{owner_name} has no method #{name}" unless owner.respond_to?(name, true)

      owner.method(name)
    end

    def serve(fn)
      pass_ctx = fn.arity != 1
      while (line = @in.gets)
        call = parse(line)
        if call.is_a?(String)
          marker = line.chomp.split("\t", -1).last.to_s
          markers(marker) if marker.match?(/\A\h{32}\z/)
          reply_error("berth runtime: #{call}", '')
          next
        end
        task_id, attempt, deadline, labels, payload, marker = call
        reply = invoke(fn, pass_ctx, payload, Context.new(task_id, attempt, labels, deadline, @out))
        markers(marker)
        @out.write(reply)
        @out.flush
      end
    end

    # The decoded fields of a C line, or a String saying what is wrong with it.
    def parse(line)
      f = line.chomp.split("\t", -1)
      return 'not a call line' unless f.length == 7 && f[0] == 'C'

      labels = {}
      f[4].split(',').each do |pair|
        k, sep, v = pair.partition(':')
        return 'label pair without ":"' if sep.empty?

        labels[utf8(k)] = utf8(v)
      end
      [utf8(f[1]), Integer(f[2], 10), Integer(f[3], 10), labels, f[5].unpack1('m0'), f[6]]
    rescue ArgumentError => e
      "malformed call line: #{e.message}"
    end

    def utf8(b64)
      b64.unpack1('m0').force_encoding(Encoding::UTF_8)
    end

    # The reply line for one call (computed before the markers are written).
    def invoke(fn, pass_ctx, payload, ctx)
      value = pass_ctx ? fn.call(payload, ctx) : fn.call(payload)
      case value
      when nil then "R\tnull\t\n"
      when String
        if value.encoding == Encoding::BINARY
          "R\tbytes\t#{[value].pack('m0')}\n"
        else
          "R\tstring\t#{[to_utf8(value)].pack('m0')}\n"
        end
      else
        "R\tjson\t#{[JSON.generate(value)].pack('m0')}\n"
      end
    rescue SystemExit, SignalException
      raise
    rescue Exception => e # rubocop:disable Lint/RescueException -- a handler's failure of any kind is its reply
      error_line("#{e.class}: #{e.message}", stack_text(e))
    end

    def to_utf8(s)
      return s if s.encoding == Encoding::UTF_8 || s.encoding == Encoding::US_ASCII

      s.encode(Encoding::UTF_8)
    end

    # Flushes the handler's output, then writes the marker to fd 1 and fd 2 (a closed one is skipped).
    def markers(marker)
      flush_streams
      m = "#{MARK}#{marker}#{MARK}"
      [STDOUT, STDERR].each do |io|
        io.write(m)
        io.flush
      rescue IOError, SystemCallError
        nil
      end
    end

    def flush_streams
      [$stdout, $stderr, STDOUT, STDERR].each do |io|
        io.flush if io.respond_to?(:flush)
      rescue IOError, SystemCallError
        nil
      end
    end

    def reply_error(message, stack)
      @out.write(error_line(message, stack))
      @out.flush
    end

    def error_line(message, stack)
      "E\t#{[message.to_s.b].pack('m0')}\t#{[stack.to_s.b].pack('m0')}\n"
    end

    # "Class: message" and the backtrace, then each cause the same way; runtime frames dropped.
    def stack_text(e)
      lines = []
      seen = {}
      while e && !seen[e]
        seen[e] = true
        lines << (lines.empty? ? "#{e.class}: #{e.message}" : "Caused by: #{e.class}: #{e.message}")
        (e.backtrace || []).each { |l| lines << "    #{l}" unless l.start_with?(__FILE__) }
        e = e.cause
      end
      lines.join("\n")
    end
  end
end

input = IO.new(3, 'rb')
output = IO.new(4, 'wb')
output.sync = false
Berth::Runtime.new(ENV.fetch('BERTH_HANDLER', nil), input, output).run
