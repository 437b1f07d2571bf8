# Word count: the payload is plain text; prints {"words": N, "top": [[word, count], ...]} as JSON.
require 'json'

text = File.read(ENV.fetch('PAYLOAD_FILE'), encoding: 'UTF-8')
words = text.downcase.scan(/[[:alpha:]']+/)
top = words.tally.sort_by { |word, count| [-count, word] }.first(5)
puts JSON.generate({ words: words.size, top: top })
