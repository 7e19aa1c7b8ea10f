module github.com/untied-ml/untied

go 1.26
